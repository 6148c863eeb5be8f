"""A campaign that waits says for what and until when: Ley 2300's next day, a start
moved out of a shut window, a pause and resume, an account not configured here."""

from __future__ import annotations

from typing import Any

import pytest

from dispatcher.api.schemas import CampaignDetail
from dispatcher.engine import recover, steer
from dispatcher.settings import AccountSettings
from dispatcher.store import reads
from tests.integration.engine.harness import EngineHarness, bogota

pytestmark = pytest.mark.integration


def detail(h: EngineHarness, cid: int) -> dict[str, Any]:
    """The campaign as GET /v1/campaigns/{id} answers, at the harness's time."""
    clock = reads.Clock.of(h.settings, h.clock())
    return CampaignDetail.of(reads.campaign_detail(h.engine, None, cid, clock), clock).model_dump()


def test_numbers_reached_today_make_the_campaign_wait_for_the_next_day(h: EngineHarness) -> None:
    shared = h.numbers(3)
    h.submit(shared, purpose="commercial")
    h.run()
    from dispatcher import intake
    from dispatcher.intake.sources import json_numbers

    result = intake.submit(
        h.engine,
        h.settings,
        h.tenant_id,
        intake.CampaignSpec(name="again", message="hola", purpose="commercial"),
        json_numbers([*shared, *h.numbers(2)]),
        request_hash="x",
        now=h.clock(),
    )
    assert result.reached_today == 3  # the 201 says so
    second = result.campaign_id
    h.run()
    assert h.statuses(second) == {"accepted": 2, "pending": 3}
    recover.settle_waiting(h.engine, h.settings, h.clock())  # beat's housekeeper, every 5 s
    d = detail(h, second)
    assert d["status"] == "running" and d["waiting_reason"] == "contact_limit"
    assert d["next_send_at"] == bogota("2026-11-26 08:00:00")
    assert d["state"].startswith("waiting until tomorrow 08:00: the numbers left were reached")
    wait_s = (bogota("2026-11-26 08:00:00") - h.clock()).total_seconds()
    assert d["eta_s"] >= wait_s
    h.clock.now = bogota("2026-11-26 08:00:00")
    h.run()
    assert detail(h, second)["state"] == "completed"


def test_a_campaign_of_numbers_all_reached_today_says_so_at_once(h: EngineHarness) -> None:
    shared = h.numbers(4)
    h.submit(shared, purpose="commercial")
    h.run()
    second = h.submit(shared, purpose="commercial")
    h.run()
    assert detail(h, second)["waiting_reason"] == "contact_limit"  # no housekeeper needed


@pytest.mark.parametrize(
    ("purpose", "start", "first", "words"),
    [
        (
            "commercial",
            "2026-11-29 10:00:00",  # Sunday
            "2026-11-30 08:00:00",
            "starts at Mon 08:00: Ley 2300 allows no commercial messages on Sundays",
        ),
        (
            "collection",
            "2026-11-28 16:00:00",  # Saturday afternoon
            "2026-11-30 08:00:00",
            "starts at Mon 08:00: Ley 2300 allows collection messages on Saturdays 08:00-15:00 only",
        ),
        (
            "commercial",
            "2026-12-08 10:00:00",  # a Tuesday holiday
            "2026-12-09 08:00:00",
            "starts at 2026-12-09 08:00: Ley 2300 allows no commercial messages on public holidays",
        ),
        (
            "transactional",
            "2026-11-25 22:00:00",
            "2026-11-26 08:00:00",
            "starts at tomorrow 08:00: the provider sends 08:00-21:00 only",
        ),
        ("transactional", "2026-11-25 15:00:00", "2026-11-25 15:00:00", "starts at 15:00"),
    ],
)
def test_a_start_time_moves_to_the_first_permitted_moment_and_says_why(
    h: EngineHarness, purpose: str, start: str, first: str, words: str
) -> None:
    cid = h.submit(h.numbers(3), purpose=purpose, start_at=bogota(start))
    d = detail(h, cid)
    assert d["start_at"] == bogota(start)  # as asked
    assert d["next_send_at"] == bogota(first)
    assert d["state"] == words
    assert d["eta_s"] >= (bogota(first) - h.clock()).total_seconds()
    h.clock.now = bogota(start)
    h.run()
    assert h.sim.sim.records == [] or bogota(start) == bogota(first)
    h.clock.now = bogota(first)
    h.run()
    assert h.statuses(cid) == {"accepted": 3}
    h.never_twice()


def test_a_paused_and_resumed_scheduled_campaign_still_says_when_it_starts(
    h: EngineHarness,
) -> None:
    cid = h.submit(h.numbers(3), start_at=bogota("2026-11-25 15:00:00"))
    steer.pause_campaign(h.engine, cid, None)
    assert detail(h, cid)["state"] == "paused"
    with h.engine.begin() as conn:
        from dispatcher.store import steering

        steering.resume(conn, cid, None, h.clock())
    d = detail(h, cid)
    assert (d["waiting_reason"], d["state"]) == ("start_at", "starts at 15:00")


def test_a_campaign_on_an_account_not_configured_here_says_so(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(3), start_at=bogota("2026-11-25 15:00:00"))
    elsewhere = [
        AccountSettings(name="oneway", user="demo", token="demo-token"),  # type: ignore[arg-type]
    ]
    beat_there = h.settings.model_copy(update={"accounts": elsewhere})
    assert recover.settle_waiting(h.engine, beat_there, h.clock()) == 1
    d = detail(h, cid)
    assert d["waiting_reason"] == "account_not_configured"
    assert "not in PREGONERO_ACCOUNTS" in d["state"]
    assert d["eta_s"] is None and "PREGONERO_ACCOUNTS" in d["attention"]
    assert h.feed() == []
    # configured again: it says what it waited for before
    assert recover.settle_waiting(h.engine, h.settings, h.clock()) == 1
    d = detail(h, cid)
    assert (d["waiting_reason"], d["state"]) == ("start_at", "starts at 15:00")


def test_a_cancelled_campaign_is_not_drawn_done(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(2500))
    [first, *_] = h.feed()
    h.sender.send_chunk(first)
    steer.cancel_campaign(h.engine, cid, None)
    d = detail(h, cid)
    assert d["recipients"]["accepted"] == 1000 and d["recipients"]["cancelled"] == 1500
    assert d["progress"] == 0.4
    assert d["state"] == "cancelled after 1,000 of 2,500 were sent"
