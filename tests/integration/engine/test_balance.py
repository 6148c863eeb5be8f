"""Balance, maintenance and authentication pauses of the provider account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dispatcher.domain.plan import Verdict
from dispatcher.domain.status import PauseReason
from dispatcher.engine import balance, steer
from tests.builders import an_account_paused
from tests.integration.engine.harness import EngineHarness

pytestmark = pytest.mark.integration


def test_balance_runs_out_mid_block_then_resumes(h: EngineHarness) -> None:
    h.sim.sim.configure({"balance": 1500})
    cid = h.submit(h.numbers(3000))
    h.run()
    assert h.statuses(cid) == {"accepted": 1500, "pending": 1500}
    acct = h.account()
    assert acct["paused"] and acct["pause_reason"] == "balance"
    assert h.campaign(cid)["waiting_reason"] == "balance"
    waiting = h.q(
        "SELECT size, waiting_reason FROM chunk WHERE campaign_id = :c AND status = 'ready' "
        "ORDER BY size",
        c=cid,
    )
    # The numbers refused for balance mid-block wait apart; the next block never left.
    assert waiting == [(500, "balance"), (1000, None)]
    assert h.run() == []  # paused: nothing is fed
    assert len(h.sim.sim.records) == 2
    h.sim.sim.configure({"balance": 10_000})
    assert balance.poll_balance(h.engine, h.settings, lambda _a: h.client) == {"default": "10000"}
    assert not h.account()["paused"]
    assert h.campaign(cid)["waiting_reason"] is None
    h.run()
    assert h.statuses(cid) == {"accepted": 3000}
    h.never_twice()
    assert h.campaign(cid)["status"] == "completed"


def test_a_low_balance_pauses_before_anything_is_refused(h: EngineHarness) -> None:
    h.submit(h.numbers(5))  # the account row exists once a campaign is bound to it
    h.sim.sim.configure({"balance": 0})
    assert balance.poll_balance(h.engine, h.settings, lambda _a: h.client) == {"default": "0"}
    assert h.account()["pause_reason"] == "balance"
    assert h.run() == []


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"balance": 0}, "balance"),
        ({"maintenance": True}, "maintenance"),
        ({"token": "rotated"}, "auth"),
    ],
)
def test_whole_request_pauses_keep_the_chunk(
    h: EngineHarness, config: dict[str, Any], reason: str
) -> None:
    h.sim.sim.configure(config)
    cid = h.submit(h.numbers(10))
    [result] = h.run()
    assert result.outcome is Verdict.PAUSE
    acct = h.account()
    assert acct["paused"] and acct["pause_reason"] == reason
    assert h.q("SELECT status FROM chunk WHERE campaign_id = :c", c=cid) == [("ready",)]
    assert h.statuses(cid) == {"pending": 10}
    h.sim.sim.reset()
    assert steer.resume_account(h.engine, "default")
    h.run()
    assert h.statuses(cid) == {"accepted": 10}


def test_maintenance_is_probed_after_a_while(h: EngineHarness) -> None:
    h.sim.sim.configure({"maintenance": True})
    cid = h.submit(h.numbers(5))
    h.run()
    assert h.account()["pause_reason"] == "maintenance"
    h.sim.sim.configure({"maintenance": False})
    assert balance.probe_maintenance(h.engine, h.settings) == 0  # not yet
    since = h.q("SELECT now()")[0][0] - timedelta(hours=1)
    an_account_paused(h.engine, PauseReason.MAINTENANCE, since)
    assert balance.probe_maintenance(h.engine, h.settings) == 1
    h.run()
    assert h.statuses(cid) == {"accepted": 5}
