"""Ley 2300's contact limit, by purpose (``PREGONERO_CONTACT_LIMITS``).

Summaries of article 3 disagree: one reads it as at most one message per number a day,
another as once a week per channel once contact was made.  ``1/day`` encodes the first,
``1/week`` the second (a calendar week, Monday to Sunday, in the window's time zone);
``none`` sends with no limit.  A limit counts a tenant's campaigns of one purpose on
every account.  Pure: nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from dispatcher.domain.window import SendWindow

Period = Literal["day", "week"]
_FORMS = {"1/day": "day", "1/week": "week"}
ALLOWED = (*_FORMS, "none")


@dataclass(frozen=True)
class ContactLimit:
    """One message per number in each period."""

    per: Period

    @property
    def text(self) -> str:
        return f"1/{self.per}"

    @property
    def words(self) -> str:
        return f"one message a {self.per}"

    @property
    def this(self) -> str:
        return "today" if self.per == "day" else "this week"

    def period(self, day: date) -> date:
        """The first day of the period ``day`` is in: the day, or its week's Monday."""
        return day if self.per == "day" else day - timedelta(days=day.weekday())

    def next_period(self, day: date) -> date:
        return self.period(day) + timedelta(days=1 if self.per == "day" else 7)

    def next_permitted(self, window: SendWindow, now: datetime) -> datetime | None:
        """The first moment of a later period that ``window`` allows."""
        later = self.next_period(now.astimezone(window.tz).date())
        return window.next_open(datetime.combine(later, time(0), tzinfo=window.tz))


def parse_limit(text: str) -> ContactLimit | None:
    """``1/day``, ``1/week`` or ``none`` (None)."""
    value = text.strip().lower()
    if value == "none":
        return None
    if value not in _FORMS:
        raise ValueError(
            f"{text!r} is not a contact limit: use 1/day (one message a day), 1/week (once "
            "a week) or none"
        )
    return ContactLimit(_FORMS[value])  # type: ignore[arg-type]
