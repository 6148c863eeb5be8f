"""The feeder: priority, round-robin, FEED_DEPTH, and a pause that always wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text

from dispatcher.engine import feed
from tests.integration.engine.harness import EngineHarness

pytestmark = pytest.mark.integration


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    from dispatcher.dev.services import wait_until

    wait_until(check, timeout_s, what, every_s=0.01)


def test_high_priority_goes_first_and_campaigns_share_round_robin(h: EngineHarness) -> None:
    big = h.submit(h.numbers(6000))
    other = h.submit(h.numbers(3000))
    urgent = h.submit(h.numbers(1000), priority="high")
    published = h.feed()
    assert len(published) == h.settings.feed_depth
    campaigns = [h.q("SELECT campaign_id FROM chunk WHERE id = :i", i=c)[0][0] for c in published]
    assert campaigns[0] == urgent
    assert set(campaigns[1:]) == {big, other}  # the rest of the first feed is shared
    for chunk_id in published:
        h.sender.send_chunk(chunk_id)
    h.run()
    assert {h.campaign(c)["status"] for c in (big, other, urgent)} == {"completed"}


def test_the_broker_holds_at_most_feed_depth_per_account(h: EngineHarness) -> None:
    h.submit(h.numbers(10_000))
    assert len(h.feed()) == h.settings.feed_depth
    assert h.feed() == []  # nothing was sent: the broker is full
    queued = h.q("SELECT count(*) FROM chunk WHERE status = 'queued'")
    assert queued == [(h.settings.feed_depth,)]


def test_start_at_is_respected(h: EngineHarness) -> None:
    from tests.integration.engine.harness import bogota

    cid = h.submit(h.numbers(5), start_at=bogota("2026-11-25 11:00:00"))
    h.run()
    assert h.sim.sim.records == []
    h.clock.now = bogota("2026-11-25 11:00:00")
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


def test_a_pause_during_feeding_is_not_undone(h: EngineHarness) -> None:
    """The feeder read its candidates; the operator pauses before it marks them running.
    The test holds the campaign row, so the feeder must wait for it; the pause commits
    while it waits."""
    cid = h.submit(h.numbers(2000))
    result: list[list[int]] = []
    with h.engine.begin() as conn:
        conn.execute(text("SELECT 1 FROM campaign WHERE id = :c FOR UPDATE"), {"c": cid})
        thread = threading.Thread(
            target=lambda: result.append(
                feed.feed(h.engine, h.settings, h.clock(), lambda _c: None)
            )
        )
        thread.start()
        wait_for(
            lambda: bool(
                h.q(
                    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ),
            "the feeder to wait for the campaign row",
        )
        conn.execute(
            text(
                "UPDATE campaign SET status = 'paused', waiting_reason = 'operator' WHERE id = :c"
            ),
            {"c": cid},
        )
    thread.join(10)
    assert result == [[]]
    assert h.campaign(cid)["status"] == "paused"
    assert h.q("SELECT DISTINCT status FROM chunk WHERE campaign_id = :c", c=cid) == [("ready",)]


def test_campaigns_whose_window_is_shut_never_stand_before_open_ones(h: EngineHarness) -> None:
    """Saturday 16:00: the provider still sends, Ley 2300 does not.  More urgent commercial
    campaigns than the feeder reads in one tick come first in its order, yet the
    transactional one is fed on the first tick, and the commercial ones sleep until
    Monday 08:00 (the provider opens at 8, Ley 2300 at 7)."""
    from tests.integration.engine.harness import bogota

    h.clock.now = bogota("2026-11-28 16:00:00")  # a Saturday
    shut = [
        h.submit(h.numbers(1), purpose="commercial", priority="high")
        for _ in range(3 * h.settings.feed_depth)
    ]
    urgent = h.submit(h.numbers(1))
    published = h.feed()
    campaigns = {h.q("SELECT campaign_id FROM chunk WHERE id = :i", i=c)[0][0] for c in published}
    assert campaigns == {urgent}
    asleep = h.q(
        "SELECT DISTINCT status, not_before FROM chunk WHERE campaign_id = ANY(:ids)", ids=shut
    )
    assert asleep == [("deferred", bogota("2026-11-30 08:00:00"))]
