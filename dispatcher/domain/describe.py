"""States in the words an operator reads (``paused for balance since 10:02``), for the
CLI, ``celery -A workers sms status`` and the operator page.  Pure: times in, text out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dispatcher.domain.status import PauseReason

_WHY = {  # why, and what happens next
    PauseReason.BALANCE: ("for balance", "resumes by itself when the balance is back"),
    PauseReason.AUTH: ("for authentication", "fix the token, restart the workers, resume"),
    PauseReason.MAINTENANCE: ("for the provider's maintenance", ""),
    PauseReason.OPERATOR: ("by an operator", ""),
}


def _when(at: datetime, now: datetime, tz: ZoneInfo) -> str:
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if (local.date() - today).days == 1:
        return f"tomorrow {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def account_state(
    *,
    paused: bool,
    reason: PauseReason | None,
    paused_at: datetime | None,
    window_open: bool,
    next_open: datetime | None,
    probe_every_s: float,
    now: datetime,
    tz: ZoneInfo,
) -> str:
    """``sending``, ``paused for balance since 10:02``, ``paused for the provider's
    maintenance since 09:40, probing every 5 min``, ``waiting for the window until 08:00``."""
    if paused:
        why, then = _WHY[reason] if reason is not None else ("", "")
        text = f"paused {why}".rstrip()
        if paused_at is not None:
            text += f" since {_when(paused_at, now, tz)}"
        if reason is PauseReason.MAINTENANCE:
            then = f"probing every {probe_every_s / 60:g} min"
        return f"{text} ({then})" if then else text
    if not window_open:
        if next_open is None:
            return "waiting: the window does not open in the next year"
        return f"waiting for the window until {_when(next_open, now, tz)}"
    return "sending"
