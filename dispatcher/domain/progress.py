"""How far a campaign is, how fast it goes, when it will be done, and whether a person
must look at it.  One function, used by the API, the CLI and the operator's tools, so
they never disagree.  Pure: the campaign's figures and the time in, values out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from dispatcher.domain.status import (
    ACCOUNT_WAITS,
    CAMPAIGN_ACTIVE,
    CAMPAIGN_FINAL,
    CampaignStatus,
    RecipientStatus,
    WaitingReason,
)

# Waits that end only when a person acts (or the account comes back): no ETA.
_PERSON_WAITS = (*ACCOUNT_WAITS, WaitingReason.ACCOUNT_NOT_CONFIGURED)

# Outcomes the provider gave (or may have given) for numbers we sent.
_SENT = (
    RecipientStatus.ACCEPTED,
    RecipientStatus.REJECTED,
    RecipientStatus.UNCERTAIN,
    RecipientStatus.FAILED,
)


@dataclass(frozen=True)
class Figures:
    status: CampaignStatus
    waiting_reason: WaitingReason | None
    next_send_at: datetime | None
    by_status: Mapping[RecipientStatus, int]
    sendable: int
    invalid_at_intake: int
    open_chunks: int
    interval_s: float
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Progress:
    progress: float  # the share of sendable numbers whose outcome is known
    sent: int  # numbers handed to the provider
    rate_per_s: float | None  # sent per second since it started
    eta_s: float | None  # None: it waits for a person (a pause) or for the account
    attention: str | None  # what a person must do, if anything


def progress_of(f: Figures, now: datetime) -> Progress:
    counts = f.by_status
    pending = counts.get(RecipientStatus.PENDING, 0)
    uncertain = counts.get(RecipientStatus.UNCERTAIN, 0)
    # Invalid after intake means the provider answered -4 for a number we sent.
    sent = sum(counts.get(s, 0) for s in _SENT) + max(
        counts.get(RecipientStatus.INVALID, 0) - f.invalid_at_intake, 0
    )
    # Done: the outcome is known for the numbers that were to be sent.  Numbers cancelled
    # (by a person, or expired) were not sent: they are not "done", and the bar shows
    # them apart.
    cancelled = counts.get(RecipientStatus.CANCELLED, 0)
    known = f.sendable - pending - uncertain - cancelled
    elapsed_s = ((f.finished_at or now) - f.started_at).total_seconds() if f.started_at else 0
    return Progress(
        progress=round(known / f.sendable, 4) if f.sendable else 1.0,
        sent=sent,
        rate_per_s=round(sent / elapsed_s, 2) if sent and elapsed_s > 0 else None,
        eta_s=_eta_s(f, now),
        attention=_attention(f, uncertain),
    )


def _attention(f: Figures, uncertain: int) -> str | None:
    if uncertain:
        return (
            f"{uncertain:,} recipients are uncertain (they may have been sent): check the "
            "provider's report, then requeue-uncertain or close-uncertain"
        )
    if f.waiting_reason is WaitingReason.ACCOUNT_NOT_CONFIGURED and f.status in CAMPAIGN_ACTIVE:
        return (
            "its provider account is not configured where beat runs: add it to "
            "PREGONERO_ACCOUNTS (beat and workers) and restart them, or cancel the campaign"
        )
    return None


def _eta_s(f: Figures, now: datetime) -> float | None:
    """Seconds until the last block is answered, at the account's pace, after what the
    campaign waits for (the window, its start time); None while a person must act."""
    if f.status in CAMPAIGN_FINAL:
        return 0.0
    if f.status is CampaignStatus.PAUSED or f.waiting_reason in _PERSON_WAITS:
        return None
    wait_s = max((f.next_send_at - now).total_seconds(), 0.0) if f.next_send_at else 0.0
    return round(wait_s + f.open_chunks * f.interval_s, 1)
