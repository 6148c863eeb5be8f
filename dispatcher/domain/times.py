"""Times as people and programs read them, one form each everywhere.

- Programs (JSON, CSV, callbacks, log lines): ISO 8601 in UTC with ``Z``, as the API's
  JSON writes it (``2026-12-04T17:24:58.712560Z``).
- People (CLI tables, the page, states in words): TIMEZONE's wall clock to the minute,
  with its offset as a label (``2026-12-04 12:24 GMT-5``); the page's script writes the
  same (``Intl``'s ``shortOffset``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def iso(at: datetime) -> str:
    """``2026-12-04T17:24:58.712560Z``."""
    if at.tzinfo is None:
        raise ValueError("times are timezone-aware here")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def offset_label(at: datetime, tz: ZoneInfo) -> str:
    """``GMT-5``, ``GMT+5:30``, ``GMT``: the zone's offset at that moment."""
    offset = at.astimezone(tz).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if minutes == 0:
        return "GMT"
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def human(at: datetime | None, tz: ZoneInfo, empty: str = "—") -> str:
    """``2026-12-04 12:24 GMT-5``."""
    if at is None:
        return empty
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M} {offset_label(at, tz)}"
