"""Beat's recovery work: the reaper, the sweeper, expiry, and the operator's steering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from dispatcher.domain.plan import Gate, Verdict
from dispatcher.engine import recover
from dispatcher.store import steering
from dispatcher.store.rows import QueuedChunk
from tests.builders import a_chunk
from tests.integration.engine.harness import EngineHarness, bogota

pytestmark = pytest.mark.integration


def now_in_db(h: EngineHarness) -> object:
    return h.q("SELECT now()")[0][0]


def test_reaper_and_sweeper(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(2500))
    first, second, third = h.feed()
    an_hour_ago = now_in_db(h) - timedelta(hours=1)  # type: ignore[operator]
    a_chunk(h.engine, first, status="sending", claimed_at=an_hour_ago)  # its worker died
    a_chunk(h.engine, second, published_at=an_hour_ago)  # its message was lost
    assert recover.reap(h.engine, h.settings) == 1
    republished: list[QueuedChunk] = []
    assert [c.id for c in recover.sweep(h.engine, h.settings, republished.append)] == [second]
    assert republished[0].describe() == f"chunk {second}: campaign {cid}, block 1, 1000 numbers"
    results = [h.sender.send_chunk(c) for c in [second, second, third]]
    assert [r.outcome for r in results] == [Verdict.DONE, Gate.GONE, Verdict.DONE]
    assert h.statuses(cid) == {"uncertain": 1000, "accepted": 1500}
    assert h.q(
        "SELECT DISTINCT reason FROM recipient WHERE campaign_id = :c AND status = 'uncertain'",
        c=cid,
    ) == [("worker_lost",)]
    h.never_twice()
    assert h.campaign(cid)["status"] == "completed"


def test_pause_and_resume(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(5000))
    h.tick()
    queued = h.feed()
    with h.engine.begin() as conn:
        steering.pause(conn, cid, h.tenant_id)
    results = [h.sender.send_chunk(c) for c in queued]
    assert [r.outcome for r in results] == [Gate.HOLD, Gate.HOLD]  # back to ready, unsent
    assert h.run() == []  # a paused campaign is not fed
    assert len(h.sim.sim.records) == 3  # nothing starts while paused
    assert h.statuses(cid) == {"accepted": 3000, "pending": 2000}
    with h.engine.begin() as conn:
        assert steering.resume(conn, cid, h.tenant_id, h.clock()).status == "running"
    h.run()
    assert h.statuses(cid) == {"accepted": 5000}


def test_expiry_cancels_what_is_not_sent_and_completes_the_campaign(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(5000), expires_at=bogota("2026-11-25 10:00:30"))
    h.tick()
    h.clock.advance(minutes=1)
    assert recover.expire(h.engine, h.clock()) == 2000
    h.run()
    assert h.statuses(cid) == {"accepted": 3000, "cancelled": 2000}
    assert h.q(
        "SELECT DISTINCT reason FROM recipient WHERE campaign_id = :c AND status = 'cancelled'",
        c=cid,
    ) == [("expired",)]
    assert h.campaign(cid)["status"] == "completed"


def test_a_paused_campaign_that_expires_is_completed(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(5), expires_at=bogota("2026-11-25 10:00:30"))
    with h.engine.begin() as conn:
        steering.pause(conn, cid, h.tenant_id)
    h.clock.advance(minutes=1)
    assert recover.expire(h.engine, h.clock()) == 5
    assert h.statuses(cid) == {"cancelled": 5}
    assert h.campaign(cid)["status"] == "completed"


def test_expiry_waits_for_a_block_at_the_provider(h: EngineHarness) -> None:
    """A block in flight at expiry keeps its outcome; the campaign completes after it."""
    cid = h.submit(h.numbers(1500), expires_at=bogota("2026-11-25 10:00:30"))
    first, _second = h.feed()
    a_chunk(h.engine, first, status="sending")
    h.clock.advance(minutes=1)
    assert recover.expire(h.engine, h.clock()) == 500
    assert h.campaign(cid)["status"] == "running"
    a_chunk(h.engine, first, status="done")
    recover.expire(h.engine, h.clock())
    assert h.campaign(cid)["status"] == "completed"


def test_finish_all_is_a_safety_net(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(5))
    h.run()
    with h.engine.begin() as conn:  # as if the last close had not completed it
        conn.execute(text("UPDATE campaign SET status = 'running' WHERE id = :c"), {"c": cid})
    assert recover.finish_all(h.engine) == 1
    assert h.campaign(cid)["status"] == "completed"
