"""Two provider accounts end to end: each with its own credentials, pace and balance,
with real workers (the threads pool, sized by the runbook's rule), beat and the
simulator holding both users."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise

import pytest

from dispatcher.accounts import worker_threads
from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import FEED_DEPTH, Stack
from dispatcher.provider.simulator import SimConfig
from tests.builders import Numbers

pytestmark = pytest.mark.e2e
INTERVAL = 0.3

ACCOUNTS = [
    {"name": "oneway", "user": "u1", "token": "t1", "password": "p1", "methods": ["1via"]},
    {"name": "twoway", "user": "u2", "token": "t2", "password": "p2", "methods": ["2via"]},
]


@pytest.fixture
def stack(pg_server_url: str) -> Iterator[Stack]:
    sim = SimConfig(
        enforce_window=False,
        user="u1",
        token="t1",
        password="p1",
        accounts=[{"user": "u2", "token": "t2", "password": "p2", "balance": 2_500}],
    )
    s = Stack(
        pg_server_url,
        block_interval_s=INTERVAL,
        sim_config=sim,
        extra_env={
            "PREGONERO_ACCOUNTS": json.dumps(ACCOUNTS),
            # Both accounts' sends share one process's threads here, on two cores that run
            # the whole suite: a thread can wait 100 ms for a CPU between the pace check and
            # its first byte.  The margin is sized for the host, as README's SLOT_MARGIN_S
            # says; the spacing asserted stays the interval itself.
            "PREGONERO_SLOT_MARGIN_S": "0.15",
        },
    )
    yield s
    s.stop()


def starts_of(stack: Stack, user: str) -> list[float]:
    return sorted(r.started_at for r in stack.sim.sim.records if r.user == user)


def test_one_account_out_of_balance_never_slows_the_other(stack: Stack) -> None:
    stack.start_worker("w1", concurrency=worker_threads(2, FEED_DEPTH), pool="threads")
    stack.start_beat()
    numbers = Numbers()
    oneway = stack.submit(numbers(8_000), method="1via")
    twoway = stack.submit(numbers(6_000), method="2via")
    bound = dict(stack.q("SELECT id, account FROM campaign"))
    assert bound == {oneway: "oneway", twoway: "twoway"}
    wait_until(
        lambda: bool(
            stack.q(
                "SELECT 1 FROM provider_account WHERE name = 'twoway' AND paused "
                "AND pause_reason = 'balance'"
            )
        ),
        60,
        "twoway to run out of balance",
    )
    stack.wait_completed(oneway, timeout_s=60)  # the other account goes on, at full pace
    assert stack.q("SELECT paused FROM provider_account WHERE name = 'oneway'") == [(False,)]
    assert stack.statuses(twoway) == {"accepted": 2_500, "pending": 3_500}
    stack.sim.sim.set_balance("u2", 100_000)  # refilled: beat sees it and resumes twoway
    stack.wait_completed(twoway, timeout_s=60)
    assert stack.statuses(oneway) == {"accepted": 8_000}
    assert stack.statuses(twoway) == {"accepted": 6_000}
    assert stack.sim.sim.duplicates() == {}
    # Each account's numbers went with its own credentials, and none through the other.
    sent_by = {r.user: set() for r in stack.sim.sim.records}
    for record in stack.sim.sim.records:
        sent_by[record.user] |= set(record.accepted)
    one = {m for (m,) in stack.q("SELECT msisdn FROM recipient WHERE campaign_id = :c", c=oneway)}
    assert sent_by["u1"] == one and not sent_by["u2"] & one
    for user in ("u1", "u2"):
        gaps = [b - a for a, b in pairwise(starts_of(stack, user))]
        assert min(gaps) >= INTERVAL, (user, min(gaps))
    # While twoway waited for balance, oneway kept its pace: no wait for the other account
    # (that would be every block, or a long one); one late start of a loaded two-core
    # machine is not a wait.
    one_gaps = [b - a for a, b in pairwise(starts_of(stack, "u1"))]
    late = [round(g, 2) for g in one_gaps if g >= INTERVAL + 0.5]
    assert len(late) <= 1 and max(one_gaps) < INTERVAL + 1.5, one_gaps
