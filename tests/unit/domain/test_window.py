from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatcher.domain.window import SendWindow, ley_2300_window, parse_hours, provider_window

BOG = ZoneInfo("America/Bogota")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BOG)


W = provider_window()


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2026-11-25 07:59:59", False),
        ("2026-11-25 08:00:00", True),
        ("2026-11-25 12:00:00", True),
        ("2026-11-25 20:59:59", True),
        ("2026-11-25 21:00:00", False),
        ("2026-11-25 00:00:00", False),
        ("2026-11-25 23:59:59", False),
        ("2026-12-31 20:59:59", True),
        ("2026-12-31 21:00:00", False),
        ("2027-01-01 08:00:00", True),  # the provider's rule has no holidays
    ],
)
def test_provider_window_edges(moment: str, is_open: bool) -> None:
    assert W.is_open(at(moment)) is is_open


@pytest.mark.parametrize(
    ("moment", "opens"),
    [
        ("2026-11-25 07:59:59", "2026-11-25 08:00:00"),
        ("2026-11-25 08:00:00", "2026-11-25 08:00:00"),
        ("2026-11-25 21:00:00", "2026-11-26 08:00:00"),
        ("2026-11-25 00:00:00", "2026-11-25 08:00:00"),
        ("2026-11-25 23:59:59", "2026-11-26 08:00:00"),
        ("2026-12-31 21:00:00", "2027-01-01 08:00:00"),
    ],
)
def test_next_open(moment: str, opens: str) -> None:
    assert W.next_open(at(moment)) == at(opens)


def test_closes_at() -> None:
    assert W.closes_at(at("2026-11-25 08:00:00")) == at("2026-11-25 21:00:00")
    assert W.closes_at(at("2026-11-25 20:59:59")) == at("2026-11-25 21:00:00")
    assert W.closes_at(at("2026-11-25 21:00:00")) is None


def test_other_time_zones_are_converted() -> None:
    utc = ZoneInfo("UTC")
    # 13:00 UTC is 08:00 in Bogota (UTC-5, no daylight saving).
    assert W.is_open(datetime(2026, 11, 25, 13, 0, tzinfo=utc))
    assert not W.is_open(datetime(2026, 11, 25, 12, 59, 59, tzinfo=utc))
    assert W.next_open(datetime(2026, 11, 25, 2, 0, tzinfo=utc)) == at("2026-11-25 08:00:00")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        W.is_open(datetime(2026, 11, 25, 9, 0))


def test_always_open_window() -> None:
    always = SendWindow.daily("00:00-24:00")
    assert always.always
    assert always.is_open(at("2026-11-25 03:00:00"))
    assert always.closes_at(at("2026-11-25 03:00:00")) is None


def test_window_with_no_hours_never_opens() -> None:
    never = SendWindow.from_mapping({})
    assert never.next_open(at("2026-11-25 03:00:00")) is None


@pytest.mark.parametrize("text", ["8-21", "08:00", "21:00-08:00", "08:00-25:00", "08:60-09:00", ""])
def test_bad_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM|impossible|end after"):
        parse_hours(text)


# -- Ley 2300 de 2023 intersected with the provider's hours ---------------------------
LEY = ley_2300_window().intersect(W)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2026-11-25 07:59:59", False),  # Wednesday: the provider's 08:00 is later than 07:00
        ("2026-11-25 08:00:00", True),
        ("2026-11-25 18:59:59", True),
        ("2026-11-25 19:00:00", False),
        ("2026-11-28 14:59:59", True),  # Saturday 08-15
        ("2026-11-28 15:00:00", False),
        ("2026-11-29 10:00:00", False),  # Sunday
        ("2026-12-08 10:00:00", False),  # Inmaculada Concepción, a Tuesday holiday
        ("2026-12-25 10:00:00", False),  # Christmas
    ],
)
def test_ley_2300_hours(moment: str, is_open: bool) -> None:
    assert LEY.is_open(at(moment)) is is_open


def test_ley_2300_skips_sunday_and_holidays() -> None:
    # Saturday 15:00 -> Monday 08:00.
    assert LEY.next_open(at("2026-11-28 15:00:00")) == at("2026-11-30 08:00:00")
    # Monday 7 Dec 19:00 -> Tuesday 8 Dec is a holiday -> Wednesday 9 Dec 08:00.
    assert LEY.next_open(at("2026-12-07 19:00:00")) == at("2026-12-09 08:00:00")
    # New Year: 31 Dec (Thursday) evening -> 1 Jan holiday -> Saturday 2 Jan 08:00.
    assert LEY.next_open(at("2026-12-31 20:00:00")) == at("2027-01-02 08:00:00")
    assert LEY.closes_at(at("2026-11-28 09:00:00")) == at("2026-11-28 15:00:00")


def test_intersect_needs_one_time_zone() -> None:
    with pytest.raises(ValueError, match="time zones"):
        W.intersect(SendWindow.daily("08:00-21:00", "UTC"))


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(BOG)
    )
)
def test_next_open_is_open_and_nothing_earlier_is(moment: datetime) -> None:
    for window in (W, LEY):
        opens = window.next_open(moment)
        assert opens is not None and opens >= moment
        assert window.is_open(opens)
        if opens > moment:
            assert not window.is_open(opens - timedelta(seconds=1))
        closes = window.closes_at(opens)
        assert closes is not None and closes > opens
        assert not window.is_open(closes)


def test_holiday_calendar_is_colombian() -> None:
    calendar = ley_2300_window().is_holiday
    assert calendar(date(2026, 7, 20))  # Independence Day
    assert not calendar(date(2026, 11, 25))


def test_a_window_in_words_groups_equal_days() -> None:
    from dispatcher.domain.window import describe_window, ley_2300_window

    assert describe_window(SendWindow.daily("08:00-21:00")) == (
        "Mon-Sun 08:00-21:00 (America/Bogota)"
    )
    both = SendWindow.daily("08:00-21:00").intersect(ley_2300_window())
    assert describe_window(both) == (
        "Mon-Fri 08:00-19:00; Sat 08:00-15:00; Sun closed, closed on public holidays "
        "(America/Bogota)"
    )
