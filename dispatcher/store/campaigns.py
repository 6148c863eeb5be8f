"""Campaign rows: the transitions of a campaign's status and of why it waits.

These change the campaign row only; ``chunks`` and ``steering`` combine them with the
chunks' own transitions.  Functions take an open connection inside the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, exists, func, select, update

from dispatcher.domain.status import (
    ACCOUNT_WAITS,
    CAMPAIGN_ACTIVE,
    CHUNK_OPEN,
    CampaignStatus,
    WaitingReason,
)
from dispatcher.store.sql import any_of
from dispatcher.store.tables import Campaign, Chunk, ProviderAccount

_LOCK = select(Campaign.status).where(Campaign.id == bindparam("campaign_id")).with_for_update()


def lock(conn: Connection, campaign_id: int) -> CampaignStatus | None:
    """Hold the campaign row until the transaction ends; its status, or None."""
    status = conn.execute(_LOCK, {"campaign_id": campaign_id}).scalar()
    return None if status is None else CampaignStatus(status)


_COMPLETE = (
    update(Campaign)
    .where(
        Campaign.id == bindparam("campaign_id"),
        Campaign.status.in_(bindparam("statuses", expanding=True)),
        ~exists().where(
            Chunk.campaign_id == bindparam("campaign_id"), Chunk.status.in_(CHUNK_OPEN)
        ),
    )
    .values(
        status=CampaignStatus.COMPLETED,
        waiting_reason=None,
        next_send_at=None,
        finished_at=func.now(),
        updated_at=func.now(),
    )
)


def complete_if_done(
    conn: Connection,
    campaign_id: int,
    statuses: Sequence[CampaignStatus] = (CampaignStatus.RUNNING,),
    *,
    locked: bool = False,
) -> bool:
    """``completed`` once no chunk is left to send.

    Whoever opens a chunk (a new one for numbers that must wait, a requeue) holds the
    campaign row while doing it; locking the row first, then looking at the chunks in a
    new statement, sees that chunk once it is committed.  ``locked``: this transaction
    already holds the row (it updated it)."""
    if not locked:
        lock(conn, campaign_id)
    params = {"campaign_id": campaign_id, "statuses": [s.value for s in statuses]}
    return bool(conn.execute(_COMPLETE, params).rowcount)


def running_without_open_chunks(conn: Connection) -> list[int]:
    has_open = exists().where(Chunk.campaign_id == Campaign.id, Chunk.status.in_(CHUNK_OPEN))
    rows = conn.execute(
        select(Campaign.id).where(Campaign.status == CampaignStatus.RUNNING, ~has_open)
    ).scalars()
    return [int(i) for i in rows]


# Fed now (store.feeding takes a chunk): running, its place in the round-robin moved to
# the back, waiting for nothing.
STARTED = {
    Campaign.status: CampaignStatus.RUNNING,
    Campaign.last_fed_at: func.clock_timestamp(),
    Campaign.waiting_reason: None,
    Campaign.next_send_at: None,
    Campaign.started_at: func.coalesce(Campaign.started_at, func.now()),
    Campaign.updated_at: func.now(),
}


def wait_for(
    conn: Connection, campaign_id: int, reason: WaitingReason, until: datetime | None
) -> None:
    conn.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(waiting_reason=reason, next_send_at=until, updated_at=func.now())
    )


def window_opened(conn: Connection, campaign_ids: Iterable[int]) -> None:
    """Their deferred chunks were released: they no longer wait for the window."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return
    conn.execute(
        update(Campaign)
        .where(
            Campaign.id == any_of(ids),
            Campaign.waiting_reason == WaitingReason.WINDOW,
        )
        .values(waiting_reason=None, next_send_at=None)
    )


def wait_for_account(conn: Connection, account: str, reason: WaitingReason) -> None:
    conn.execute(
        update(Campaign)
        .where(Campaign.account == account, Campaign.status.in_(CAMPAIGN_ACTIVE))
        .values(waiting_reason=reason, updated_at=func.now())
    )


def mark_paused_accounts(conn: Connection) -> int:
    """Every active campaign of a paused account says it waits for that account (a
    safety net behind ``accounts.pause`` and intake); how many were not saying so."""
    return int(
        conn.execute(
            update(Campaign)
            .where(
                Campaign.account == ProviderAccount.name,
                ProviderAccount.paused.is_(True),
                Campaign.status.in_(CAMPAIGN_ACTIVE),
                Campaign.waiting_reason.is_distinct_from(ProviderAccount.pause_reason),
            )
            .values(waiting_reason=ProviderAccount.pause_reason, updated_at=func.now())
        ).rowcount
    )


def account_resumed(conn: Connection, account: str) -> None:
    conn.execute(
        update(Campaign)
        .where(
            Campaign.account == account,
            Campaign.status.in_(CAMPAIGN_ACTIVE),
            Campaign.waiting_reason.in_(ACCOUNT_WAITS),
        )
        .values(waiting_reason=None, updated_at=func.now())
    )


def set_status(
    conn: Connection,
    campaign_id: int,
    status: CampaignStatus,
    waiting: WaitingReason | None = None,
    *,
    finished: bool = False,
    failure_reason: str | None = None,
) -> None:
    values: dict[str, object] = {
        "status": status,
        "waiting_reason": waiting,
        "updated_at": func.now(),
        "finished_at": func.now() if finished else None,
    }
    if failure_reason is not None:
        values["failure_reason"] = failure_reason
    conn.execute(update(Campaign).where(Campaign.id == campaign_id).values(values))
