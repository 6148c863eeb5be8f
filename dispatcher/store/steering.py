"""What people and deadlines do to a campaign: pause, resume, cancel, requeue what is
uncertain, expire, and fail on refused content.  Each holds the campaign row for the
whole change.  Functions take an open connection inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from dispatcher.domain.status import (
    CAMPAIGN_ACTIVE,
    CAMPAIGN_FINAL,
    CAMPAIGN_OPEN,
    CampaignStatus,
    Reason,
    RecipientStatus,
    WaitingReason,
)
from dispatcher.errors import Conflict, NotFound
from dispatcher.store import campaigns, chunks
from dispatcher.store.tables import Campaign


@dataclass(frozen=True, slots=True)
class Steered:
    id: int
    status: CampaignStatus
    cancelled_recipients: int | None = None


def _locked(
    conn: Connection, campaign_id: int, tenant_id: int | None
) -> tuple[CampaignStatus, bool]:
    """The campaign's status and whether it has started, its row held; another
    tenant's campaign is not found."""
    query = select(Campaign.status, Campaign.started_at.is_not(None)).where(
        Campaign.id == campaign_id
    )
    if tenant_id is not None:
        query = query.where(Campaign.tenant_id == tenant_id)
    row = conn.execute(query.with_for_update()).first()
    if row is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist (or belongs to another tenant); "
            "`pregonero campaign list` shows them"
        )
    return CampaignStatus(row[0]), bool(row[1])


def pause(conn: Connection, campaign_id: int, tenant_id: int | None) -> Steered:
    """No block of it starts after this commits (the claim checks it)."""
    status, _started = _locked(conn, campaign_id, tenant_id)
    if status in CAMPAIGN_FINAL:
        raise Conflict(f"campaign {campaign_id} is {status}; it cannot be paused")
    campaigns.set_status(conn, campaign_id, CampaignStatus.PAUSED, WaitingReason.OPERATOR)
    return Steered(campaign_id, CampaignStatus.PAUSED)


def resume(conn: Connection, campaign_id: int, tenant_id: int | None, now: datetime) -> Steered:
    status, started = _locked(conn, campaign_id, tenant_id)
    if status in CAMPAIGN_ACTIVE:
        return Steered(campaign_id, status)
    if status is not CampaignStatus.PAUSED:
        raise Conflict(f"campaign {campaign_id} is {status}; it cannot be resumed")
    after = CampaignStatus.RUNNING if started else CampaignStatus.SCHEDULED
    campaigns.set_status(conn, campaign_id, after)
    # What it waited for before the pause is in its chunks (a start time, the window,
    # Ley 2300's next day): it says so again.
    campaigns.settle_waiting(conn, campaign_id, now)
    return Steered(campaign_id, after)


def cancel(conn: Connection, campaign_id: int, tenant_id: int | None) -> Steered:
    """Unsent chunks and their recipients become cancelled; a block already at the
    provider finishes and keeps its outcomes."""
    status, _started = _locked(conn, campaign_id, tenant_id)
    if status is CampaignStatus.CANCELLED:
        return Steered(campaign_id, status, 0)
    if status in CAMPAIGN_FINAL:
        raise Conflict(f"campaign {campaign_id} is {status}; nothing left to cancel")
    count = chunks.cancel_unsent(conn, campaign_id, Reason.CANCELLED)
    campaigns.set_status(conn, campaign_id, CampaignStatus.CANCELLED, finished=True)
    return Steered(campaign_id, CampaignStatus.CANCELLED, count)


def requeue_uncertain(conn: Connection, campaign_id: int, tenant_id: int | None) -> int:
    """The operator's decision: send a campaign's uncertain numbers again (they checked
    the provider's report: those did not go out).  Returns how many will be sent."""
    status, _started = _locked(conn, campaign_id, tenant_id)
    if status is CampaignStatus.CANCELLED:
        raise Conflict(
            f"campaign {campaign_id} is cancelled: its uncertain numbers are not sent again; "
            "check the provider's report and close them (close-uncertain --as accepted or "
            "--as rejected), or submit the numbers that did not go out as a new campaign"
        )
    moved = chunks.requeue_uncertain(conn, campaign_id)
    if moved and status in (CampaignStatus.COMPLETED, CampaignStatus.FAILED):
        campaigns.set_status(conn, campaign_id, CampaignStatus.RUNNING)
    return moved


CLOSE_AS = (RecipientStatus.ACCEPTED, RecipientStatus.REJECTED)


def close_uncertain(
    conn: Connection, campaign_id: int, tenant_id: int | None, outcome: RecipientStatus
) -> int:
    """The operator checked the provider's web report and records what it says: the
    uncertain recipients become ``accepted`` or ``rejected``.  Returns how many."""
    if outcome not in CLOSE_AS:
        raise Conflict(f"uncertain recipients are closed as accepted or rejected, not {outcome}")
    _locked(conn, campaign_id, tenant_id)
    closed = chunks.close_uncertain(conn, campaign_id, outcome)
    campaigns.complete_if_done(conn, campaign_id)
    return closed


def fail(conn: Connection, campaign_id: int, why: str) -> None:
    """The provider refuses the campaign's content: nothing else of it can go out."""
    campaigns.lock(conn, campaign_id)
    chunks.cancel_unsent(conn, campaign_id, Reason.CAMPAIGN_FAILED)
    campaigns.set_status(
        conn, campaign_id, CampaignStatus.FAILED, finished=True, failure_reason=why
    )


def due_to_expire(conn: Connection, now: datetime) -> list[int]:
    rows = conn.execute(
        select(Campaign.id)
        .where(Campaign.status.in_(CAMPAIGN_OPEN), Campaign.expires_at <= now)
        .with_for_update(skip_locked=True)
    ).scalars()
    return [int(i) for i in rows]


def expire(conn: Connection, campaign_id: int) -> int:
    """Numbers not sent by ``expires_at`` are cancelled with reason ``expired``, and the
    campaign is completed, whatever its status, once no block of it is at the provider
    (a later run completes it after that block is recorded)."""
    cancelled = chunks.cancel_unsent(conn, campaign_id, Reason.EXPIRED)
    campaigns.complete_if_done(conn, campaign_id, CAMPAIGN_OPEN)
    return cancelled
