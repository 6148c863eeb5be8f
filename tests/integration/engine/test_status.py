"""What a campaign's detail says (the API and the CLI read the same function): progress,
rate and ETA that tell the truth, and uncertain recipients flagged until a person acts."""

from __future__ import annotations

from typing import Any

import pytest

from dispatcher.api.schemas import CampaignDetail
from dispatcher.store import reads, steering
from tests.integration.engine.harness import EngineHarness, bogota

pytestmark = pytest.mark.integration


def detail(h: EngineHarness, cid: int) -> dict[str, Any]:
    """What GET /v1/campaigns/{id} answers, at the harness's clock."""
    clock = reads.Clock.of(h.settings, now=h.clock())
    return CampaignDetail.of(
        reads.campaign_detail(h.engine, h.tenant_id, cid, clock), clock
    ).model_dump()


def test_uncertain_recipients_keep_a_campaign_in_need_of_an_operator(h: EngineHarness) -> None:
    h.sim.sim.add_faults([{"kind": "http_500"}])
    cid = h.submit(h.numbers(1500))
    h.run()
    info = detail(h, cid)
    assert info["status"] == "completed" and info["uncertain"] == 1000
    assert info["progress"] == round(500 / 1500, 4)  # uncertain is not a known outcome
    assert "1,000 recipients are uncertain" in info["attention"]
    with h.engine.begin() as conn:
        assert steering.close_uncertain(conn, cid, h.tenant_id, "accepted") == 1000  # type: ignore[arg-type]
    info = detail(h, cid)
    assert info["attention"] is None and info["progress"] == 1.0
    assert h.statuses(cid) == {"accepted": 1500}
    reasons = h.q("SELECT DISTINCT reason FROM recipient WHERE campaign_id = :c", c=cid)
    assert set(reasons) == {(None,), ("closed_by_operator",)}


def test_a_cancelled_campaign_counts_only_what_was_sent(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(50_000))
    h.tick()  # 3 blocks
    with h.engine.begin() as conn:
        steering.cancel(conn, cid, h.tenant_id)
    info = detail(h, cid)
    camp = h.campaign(cid)
    ran_s = (camp["finished_at"] - camp["started_at"]).total_seconds()
    assert info["sent"] == 3000
    assert info["rate_per_s"] == round(3000 / ran_s, 2)  # not the 47,000 cancelled
    assert info["eta_s"] == 0


def test_eta_includes_the_wait_for_the_window(h: EngineHarness) -> None:
    h.clock.now = bogota("2026-11-25 21:00:00")
    cid = h.submit(h.numbers(2500))
    h.run()
    info = detail(h, cid)
    assert info["waiting_reason"] == "window"
    assert info["eta_s"] == 11 * 3600 + 3 * 2.0  # until 08:00, then 3 blocks


def test_a_scheduled_campaign_says_when_it_starts(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(5), start_at=bogota("2026-11-25 12:00:00"))
    info = detail(h, cid)
    assert info["status"] == "scheduled" and info["waiting_reason"] == "start_at"
    assert info["next_send_at"] == bogota("2026-11-25 12:00:00")
    assert info["eta_s"] == 2 * 3600 + 2.0
    h.clock.now = bogota("2026-11-25 12:00:00")
    h.run()
    info = detail(h, cid)
    assert info["status"] == "completed" and info["next_send_at"] is None


def test_a_paused_campaign_has_no_eta(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(5))
    with h.engine.begin() as conn:
        steering.pause(conn, cid, h.tenant_id)
    assert detail(h, cid)["eta_s"] is None
