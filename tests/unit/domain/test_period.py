"""Report ranges: Bogota dates with 'to' included, or timestamps with an offset."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.period import BadPeriod, period

BOGOTA = ZoneInfo("America/Bogota")


def test_dates_are_whole_bogota_days_with_to_included() -> None:
    span = period("2026-11-01", "2026-11-30", BOGOTA)
    assert span.start == datetime(2026, 11, 1, tzinfo=BOGOTA)
    assert span.end == datetime(2026, 12, 1, tzinfo=BOGOTA)
    assert period("2026-11-28", "2026-11-28", BOGOTA).end - span.start > timedelta(0)


def test_timestamps_with_an_offset_are_taken_as_they_are() -> None:
    # "+00:00" unencoded in a query string arrives as " 00:00"
    span = period("2026-11-28T10:00:00-05:00", "2026-11-28T16:00:00 00:00", BOGOTA)
    assert span.end - span.start == timedelta(hours=1)
    assert span.start.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("2026-11-30", "2026-11-01", "reversed"),
        ("2025-01-01", "2026-11-30", "at most 366"),
        ("ayer", "2026-11-30", "neither YYYY-MM-DD"),
        ("2026-11-01T10:00:00", "2026-11-30", "no offset"),
        ("2026-02-30", "2026-03-01", "neither"),
    ],
)
def test_bad_ranges_say_what_to_fix(start: str, end: str, says: str) -> None:
    with pytest.raises(BadPeriod, match=says):
        period(start, end, BOGOTA)
