"""The date ranges of reports: ``from=2026-11-01&to=2026-11-30`` in the window's time zone
(America/Bogota), ``to`` inclusive; a full timestamp with an offset is taken as is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dispatcher.domain.fields import BadField

MAX_DAYS = 366
# Dates people may ask about: anything else is a typo, and near year 1 or 9999 the
# arithmetic of a day more or an offset overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BadPeriod(BadField):
    """A date range a report cannot use."""


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime  # included
    end: datetime  # excluded


def _when(field: str, value: str, tz: ZoneInfo, *, end: bool) -> datetime:
    value = value.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:  # a whole day: from its first instant; "to" includes it
        _in_years(field, day)  # checked before any arithmetic
        first = datetime.combine(day, time(0), tz)
        return first + timedelta(days=1) if end else first
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+", 1) if "T" in value else value)
    except ValueError:
        raise BadPeriod(
            field, f"{value[:40]!r} is neither YYYY-MM-DD nor a timestamp with an offset"
        ) from None
    if moment.tzinfo is None:
        raise BadPeriod(field, f"{value[:40]!r} has no offset: add one (-05:00) or give a date")
    _in_years(field, moment.date())
    return moment


def _in_years(field: str, day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadPeriod(field, f"{day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")


def period(start: str, end: str, tz: ZoneInfo) -> Period:
    begins = _when("from", start, tz, end=False)
    ends = _when("to", end, tz, end=True)
    if ends <= begins:
        raise BadPeriod("to", f"{end} is before {start}: the range is reversed")
    if ends - begins > timedelta(days=MAX_DAYS):
        raise BadPeriod(
            "to", f"the range is {(ends - begins).days} days; ask for at most {MAX_DAYS}"
        )
    return Period(begins, ends)
