"""The plan: windows counted in the ETA, warnings that say what to do, cost and balance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from dispatcher.domain.forecast import PlanFacts, done_at, make_plan
from dispatcher.domain.window import SendWindow

BOGOTA_8AM = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # a Monday, 08:00 GMT-5


def facts(**over: Any) -> PlanFacts:
    base: dict[str, Any] = dict(
        texts=1, requests=1, numbers=100, segments=100, segments_as_written=100,
        segments_transliterated=100, transliterated=False, gsm7_texts=1, ucs2_texts=0,
        ucs2_chars=[], examples=[("573100000001", "hola")], reached_today=0, chunk_size=1000,
        account="default", interval_s=2.0, window=SendWindow.daily("08:00-21:00"),
        starts=BOGOTA_8AM, price_per_segment=None, currency="COP", balance=None,
        balance_read_at=None,
    )  # fmt: skip
    base.update(over)
    return PlanFacts(**base)


def test_sending_stops_when_the_window_closes_and_goes_on_when_it_opens() -> None:
    window = SendWindow.daily("08:00-21:00")
    evening = BOGOTA_8AM + timedelta(hours=12, minutes=59)  # 20:59
    end = done_at(window, evening, 120)  # one minute today, one tomorrow
    assert end == BOGOTA_8AM + timedelta(days=1, minutes=1)
    assert done_at(SendWindow.daily("00:00-24:00"), evening, 120) == evening + timedelta(
        seconds=120
    )


def test_a_per_person_text_warns_about_requests_and_time() -> None:
    plan = make_plan(facts(texts=100_000, requests=100_000, numbers=100_000), BOGOTA_8AM)
    assert plan["warnings"][0] == (
        "100,000 distinct texts: 100,000 requests, about 56 h at one request every 2 s on "
        "account default"
    )
    # 200,000 s of sending in 13-hour days: done on the fifth day
    assert 4 * 86_400 < plan["eta_s"] < 5 * 86_400


def test_cost_and_a_balance_that_does_not_cover_it() -> None:
    read = BOGOTA_8AM - timedelta(minutes=5)
    plan = make_plan(
        facts(
            numbers=8_000,
            segments=8_000,
            price_per_segment=Decimal("7.5"),
            balance=Decimal("5000"),
            balance_read_at=read,
        ),
        BOGOTA_8AM,
    )
    assert plan["cost"] == {
        "segments": 8_000,
        "price_per_segment": "7.5",
        "amount": "60000.00",
        "currency": "COP",
    }
    assert plan["balance"]["enough"] is False and plan["balance"]["compared_with"] == "amount"
    assert any("does not cover the campaign: it needs 60,000.00 COP" in w for w in plan["warnings"])
    no_price = make_plan(facts(numbers=8_000, segments=8_000, balance=Decimal(5000)), BOGOTA_8AM)
    assert no_price["cost"] is None and no_price["balance"]["enough"] is False
    assert any("it needs 8,000 segments" in w for w in no_price["warnings"])


def test_ucs2_texts_say_which_characters_and_what_transliteration_saves() -> None:
    plan = make_plan(
        facts(
            ucs2_texts=1, gsm7_texts=0, ucs2_chars=["ó"], segments=200, segments_transliterated=100
        ),
        BOGOTA_8AM,
    )
    assert plan["encoding"] == {"gsm7": 0, "ucs2": 1} and plan["ucs2_chars"] == ["ó"]
    assert "with transliterate=true they take 100 segments instead of 200" in plan["warnings"][0]


def test_numbers_reached_today_finish_tomorrow() -> None:
    plan = make_plan(facts(requests=3, reached_today=1000, numbers=3000), BOGOTA_8AM)
    assert 86_400 <= plan["eta_s"] < 86_400 + 10
    assert "Ley 2300" in plan["warnings"][-1]


def test_numbers_held_by_a_weekly_limit_go_next_week_and_lists_are_counted() -> None:
    from dispatcher.domain.contact import parse_limit

    lists = [
        {"name": "rne", "taken_at": "2026-10-01T00:00:00+00:00", "age_days": 67, "excluded": 12},
        {"name": "baja", "taken_at": "2026-12-06T00:00:00+00:00", "age_days": 1, "excluded": 0},
    ]
    plan = make_plan(
        facts(
            requests=2, numbers=1500, reached_today=500, contact_limit=parse_limit("1/week"),
            lists=lists, list_max_age_days=30,
        ),
        BOGOTA_8AM,
    )  # fmt: skip
    assert plan["warnings"] == [
        "500 numbers were reached this week by another campaign of the same purpose: the "
        "contact limit (1/week) holds them until the next week's first permitted moment",
        "left out as on exclusion lists: 12 on rne",
        "exclusion list rne was taken 67 days ago, more than the 30 a commercial campaign may "
        "rely on (EXCLUSION_MAX_AGE_DAYS): import a fresh copy before sending",
    ]
    # the held block goes on the next Monday at 08:00, a week after this Monday
    assert plan["done_by"] == "2026-12-14T13:00:02Z"
    assert (plan["contact_limit"], plan["held_by_contact_limit"]) == ("1/week", 500)
    assert [x["excluded"] for x in plan["lists"]] == [12, 0]
