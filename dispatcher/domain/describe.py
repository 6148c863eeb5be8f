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
    """``14:00`` today, ``tomorrow 07:00``/``yesterday 23:57``, ``Mon 07:00`` within the
    week ahead, else the date."""
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    days = (local.date() - today).days
    if days == 0:
        return f"{local:%H:%M}"
    if days == 1:
        return f"tomorrow {local:%H:%M}"
    if days == -1:
        return f"yesterday {local:%H:%M}"
    if 1 < days < 7:
        return f"{local:%a %H:%M}"
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
    WaitingReason.ACCOUNT_NOT_CONFIGURED: (
        "waiting: its account is not in PREGONERO_ACCOUNTS where beat runs; add it there "
        "(and on the workers) or cancel the campaign"
    ),
}


def campaign_state(
    *,
    status: CampaignStatus,
    waiting_reason: WaitingReason | None,
    next_send_at: datetime | None,
    failure_reason: str | None,
    now: datetime,
    tz: ZoneInfo,
    because: str | None = None,
    sent: int | None = None,
    sendable: int | None = None,
) -> str:
    """``sending``, ``waiting for the window until 08:00``, ``starts at Mon 07:00: Ley 2300
    allows no commercial messages on Sundays``, ``waiting until tomorrow 07:00: ...``,
    ``waiting: its account is paused for balance``, ``paused``, ``cancelled after 31,000
    of 150,000 were sent``...  ``because``: why the start or the window was moved (when
    it was)."""
    so_far = (
        f"{sent:,} of {sendable:,} were sent" if sent is not None and sendable is not None else ""
    )
    if status is CampaignStatus.FAILED:
        text = f"failed: {failure_reason}" if failure_reason else "failed"
        return f"{text} ({so_far})" if so_far else text
    if status is CampaignStatus.CANCELLED:
        if sent == 0:
            return "cancelled before any number was sent"
        return f"cancelled after {so_far}" if so_far else "cancelled"
    if status not in (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING):
        return status.value
    at = _when(next_send_at, now, tz) if next_send_at else None
    why = f": {because}" if because else ""
    if waiting_reason is WaitingReason.START_AT:
        return f"starts at {at}{why}" if at else "scheduled"
    if waiting_reason is WaitingReason.WINDOW:
        return f"waiting for the window until {at}{why}" if at else "waiting for the window"
    if waiting_reason is WaitingReason.CONTACT_LIMIT:
        until = f" until {at}" if at else ""
        rule = f" ({because})" if because else " (Ley 2300's contact limit)"
        return (
            f"waiting{until}: the numbers left were reached in this period by another "
            f"campaign of the same purpose{rule}"
        )
    if waiting_reason is not None:
        return _WAITING[waiting_reason]
    return "sending" if status is CampaignStatus.RUNNING else "queued to send"
