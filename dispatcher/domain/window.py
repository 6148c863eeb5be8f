"""When sending is allowed.

A ``SendWindow`` is a time zone, the open intervals of each weekday and an optional
holiday calendar (days with no sending at all).  Every function takes the instant it
reasons about: nothing here reads the clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# How far ahead next_open() looks before deciding the window never opens.
_SEARCH_DAYS = 400

Interval = tuple[int, int]  # minutes since local midnight, [start, end), end <= 1440
HolidayCheck = Callable[[date], bool]

_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(text: str) -> Interval:
    """Parse ``"08:00-21:00"`` into minutes.  ``"00:00-24:00"`` means all day."""
    match = _HOURS_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM (for example 08:00-21:00)")
    sh, sm, eh, em = (int(g) for g in match.groups())
    if sm > 59 or em > 59 or sh > 23 or eh > 24 or (eh == 24 and em != 0):
        raise ValueError(f"{text!r} has an impossible time; hours go 00:00 to 24:00")
    start, end = sh * 60 + sm, eh * 60 + em
    if end <= start:
        raise ValueError(f"{text!r} must end after it starts (windows do not cross midnight)")
    return start, end


def _normalise(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"interval {start}-{end} is outside one day")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def _intersect(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return _normalise(out)


def _no_holidays(_: date) -> bool:
    return False


@dataclass(frozen=True)
class SendWindow:
    """Weekly open hours in a time zone, minus holidays.

    ``weekly[0]`` is Monday, as in ``date.weekday()``.
    """

    tz: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]
    is_holiday: HolidayCheck = field(default=_no_holidays, compare=False)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("a send window needs the hours of all 7 weekdays")
        object.__setattr__(self, "weekly", tuple(_normalise(day) for day in self.weekly))

    # -- construction ---------------------------------------------------------------
    @classmethod
    def daily(cls, hours: str = "08:00-21:00", tz: str = "America/Bogota") -> SendWindow:
        """The same hours every day (the provider's CRC rule by default)."""
        interval = parse_hours(hours)
        return cls(ZoneInfo(tz), tuple((interval,) for _ in range(7)))

    @classmethod
    def from_mapping(
        cls,
        hours_by_weekday: Mapping[int, Iterable[str]],
        tz: str = "America/Bogota",
        is_holiday: HolidayCheck = _no_holidays,
    ) -> SendWindow:
        weekly = tuple(
            tuple(parse_hours(h) for h in hours_by_weekday.get(day, ())) for day in range(7)
        )
        return cls(ZoneInfo(tz), weekly, is_holiday)

    def intersect(self, other: SendWindow) -> SendWindow:
        """Open only when both are open (same time zone required)."""
        if self.tz.key != other.tz.key:
            raise ValueError("cannot intersect windows in different time zones")
        weekly = tuple(_intersect(a, b) for a, b in zip(self.weekly, other.weekly, strict=True))
        mine, theirs = self.is_holiday, other.is_holiday

        def either(day: date) -> bool:
            return mine(day) or theirs(day)

        return SendWindow(self.tz, weekly, either)

    @property
    def always(self) -> bool:
        return all(day == ((0, MINUTES_PER_DAY),) for day in self.weekly) and (
            self.is_holiday is _no_holidays
        )

    # -- queries --------------------------------------------------------------------
    def _day_intervals(self, day: date) -> tuple[Interval, ...]:
        if self.is_holiday(day):
            return ()
        return self.weekly[day.weekday()]

    def _at(self, day: date, minute: int) -> datetime:
        if minute >= MINUTES_PER_DAY:
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("send window times must be timezone-aware")
        return at.astimezone(self.tz)

    def is_open(self, at: datetime) -> bool:
        local = self._local(at)
        minute = local.hour * 60 + local.minute
        return any(s <= minute < e for s, e in self._day_intervals(local.date()))

    def next_open(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else the next instant the window opens.

        ``None`` when it does not open within a year (a window with no hours)."""
        if self.is_open(at):
            return at
        local = self._local(at)
        for offset in range(_SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            for start, _end in self._day_intervals(day):
                opens = self._at(day, start)
                if opens > local:
                    return opens
        return None

    def next_day_open(self, at: datetime) -> datetime | None:
        """The first opening on a later local day than ``at``'s (Ley 2300: a number
        reached today waits for another day)."""
        tomorrow = self._local(at).date() + timedelta(days=1)
        return self.next_open(datetime.combine(tomorrow, time(0), tzinfo=self.tz))

    def closes_at(self, at: datetime) -> datetime | None:
        """When the open period containing ``at`` ends; ``None`` if it is closed at ``at``
        or never closes (open around the clock)."""
        if not self.is_open(at):
            return None
        local = self._local(at)
        minute = local.hour * 60 + local.minute
        day = local.date()
        end = next(e for s, e in self._day_intervals(day) if s <= minute < e)
        # Follow periods that run through midnight into the next day.
        for _ in range(_SEARCH_DAYS):
            if end < MINUTES_PER_DAY:
                return self._at(day, end)
            day += timedelta(days=1)
            first = self._day_intervals(day)
            if not first or first[0][0] != 0:
                return self._at(day, 0)
            end = first[0][1]
        return None


def provider_window(hours: str = "08:00-21:00", tz: str = "America/Bogota") -> SendWindow:
    """The provider's authorised hours (CRC): every day, 08:00-21:00 Bogota time."""
    return SendWindow.daily(hours, tz)


def colombian_holidays() -> HolidayCheck:
    """Colombian public holidays from the ``holidays`` package."""
    import holidays

    calendar = holidays.country_holidays("CO")

    def is_holiday(day: date) -> bool:
        return day in calendar

    return is_holiday


def ley_2300_window(tz: str = "America/Bogota") -> SendWindow:
    """Ley 2300 de 2023 for commercial and collection messages: Monday-Friday 07-19,
    Saturday 08-15, never on Sundays or Colombian public holidays."""
    weekdays = {d: ["07:00-19:00"] for d in range(5)}
    weekdays[5] = ["08:00-15:00"]
    return SendWindow.from_mapping(weekdays, tz, colombian_holidays())


LEY_2300_PURPOSES = ("commercial", "collection")
LEY_2300_HOURS = (
    "Ley 2300 de 2023: Monday-Friday 07:00-19:00, Saturday 08:00-15:00, never on Sundays "
    "or Colombian public holidays"
)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def describe_window(window: SendWindow) -> str:
    """The weekly hours in words: ``Mon-Fri 08:00-19:00, Sat 08:00-15:00, Sun closed``
    (plus holidays when it keeps them), in its time zone."""

    def hours(spans: tuple[Interval, ...]) -> str:
        if not spans:
            return "closed"
        return ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)

    parts: list[str] = []
    day = 0
    while day < 7:
        end = day
        while end + 1 < 7 and window.weekly[end + 1] == window.weekly[day]:
            end += 1
        days = _DAYS[day] if end == day else f"{_DAYS[day]}-{_DAYS[end]}"
        parts.append(f"{days} {hours(window.weekly[day])}")
        day = end + 1
    holidays = "" if window.is_holiday is _no_holidays else ", closed on public holidays"
    return f"{'; '.join(parts)}{holidays} ({window.tz.key})"


def hours_text(window: SendWindow, day: date) -> str:
    """``08:00-21:00`` (or ``closed``) for the window on that day."""
    spans = window._day_intervals(day)
    if not spans:
        return "closed"
    return ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)


def why_shut(at: datetime, provider: SendWindow, purpose: str) -> str | None:
    """Why a message of ``purpose`` may not go at ``at``, in words; None when it may.
    ``provider`` is the provider's window; Ley 2300 applies to commercial and collection
    messages."""
    local = at.astimezone(provider.tz)
    if purpose in LEY_2300_PURPOSES:
        law = ley_2300_window(provider.tz.key)
        if not law.is_open(at):
            if law.is_holiday(local.date()):
                return f"Ley 2300 allows no {purpose} messages on public holidays"
            if local.weekday() == 6:
                return f"Ley 2300 allows no {purpose} messages on Sundays"
            if local.weekday() == 5:
                return f"Ley 2300 allows {purpose} messages on Saturdays 08:00-15:00 only"
            return f"Ley 2300 allows {purpose} messages 07:00-19:00 on weekdays only"
    if not provider.is_open(at):
        if provider.is_holiday(local.date()):
            return "the provider sends nothing on holidays"
        return f"the provider sends {hours_text(provider, local.date())} only"
    return None
