"""States in the words an operator reads (``paused for balance since 10:02``), for the
CLI, ``celery -A workers sms status`` and the operator page.  Pure: times in, text out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dispatcher.domain.status import CampaignStatus, PauseReason, WaitingReason

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


_WAITING = {  # a running campaign that does not send, and why
    WaitingReason.BALANCE: "waiting: its account is paused for balance",
    WaitingReason.MAINTENANCE: "waiting: the provider's maintenance",
    WaitingReason.AUTH: "waiting: the provider refused the account's token",
    WaitingReason.OPERATOR: "waiting: its account was paused by an operator",
}


def campaign_state(
    *,
    status: CampaignStatus,
    waiting_reason: WaitingReason | None,
    next_send_at: datetime | None,
    failure_reason: str | None,
    now: datetime,
    tz: ZoneInfo,
) -> str:
    """``sending``, ``waiting for the window until 08:00``, ``starts at 14:00``,
    ``waiting: its account is paused for balance``, ``paused``, ``completed``..."""
    if status is CampaignStatus.FAILED and failure_reason:
        return f"failed: {failure_reason}"
    if status not in (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING):
        return status.value
    at = _when(next_send_at, now, tz) if next_send_at else None
    if waiting_reason is WaitingReason.START_AT:
        return f"starts at {at}" if at else "scheduled"
    if waiting_reason is WaitingReason.WINDOW:
        return f"waiting for the window until {at}" if at else "waiting for the window"
    if waiting_reason is not None:
        return _WAITING[waiting_reason]
    return "sending" if status is CampaignStatus.RUNNING else "queued to send"
