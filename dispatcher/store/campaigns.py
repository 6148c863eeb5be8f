"""Campaign rows: the transitions of a campaign's status and of why it waits.

These change the campaign row only; ``chunks`` and ``steering`` combine them with the
chunks' own transitions.  Functions take an open connection inside the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, exists, func, or_, select, update

from dispatcher.domain.status import (
    ACCOUNT_WAITS,
    CAMPAIGN_ACTIVE,
    CHUNK_OPEN,
    CampaignStatus,
    ChunkStatus,
    ChunkWait,
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
    """Their deferred chunks were released: they no longer wait for the window or for
    Ley 2300's next period."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return
    conn.execute(
        update(Campaign)
        .where(
            Campaign.id == any_of(ids),
            Campaign.waiting_reason.in_((WaitingReason.WINDOW, WaitingReason.CONTACT_LIMIT)),
        )
        .values(waiting_reason=None, next_send_at=None)
    )


# What a campaign none of whose chunks may go now waits for: its first chunk's reason and
# time.  Account waits and an unconfigured account keep their word.
_SETTLES = (None, WaitingReason.WINDOW, WaitingReason.CONTACT_LIMIT, WaitingReason.START_AT)
_GOES_NOW = or_(
    Chunk.status.in_((ChunkStatus.QUEUED, ChunkStatus.SENDING)),
    (Chunk.status == ChunkStatus.READY)
    & or_(Chunk.not_before.is_(None), Chunk.not_before <= bindparam("now")),
)
_FIRST_WAITING = (
    select(Chunk.status, Chunk.waiting_reason, Chunk.not_before)
    .where(
        Chunk.campaign_id == bindparam("cid"),
        Chunk.status.in_((ChunkStatus.READY, ChunkStatus.DEFERRED)),
        Chunk.not_before > bindparam("now"),
    )
    .order_by(Chunk.not_before)
    .limit(1)
)


def settle_waiting(conn: Connection, campaign_id: int, now: datetime) -> None:
    """Say what the campaign waits for, from its chunks, when none of them may go now:
    its start time (not started, its chunks wait for it), Ley 2300's next period or the
    window, and until when."""
    params = {"cid": campaign_id, "now": now}
    row = conn.execute(
        select(Campaign.started_at, Campaign.waiting_reason).where(
            Campaign.id == campaign_id, Campaign.status.in_(CAMPAIGN_ACTIVE)
        )
    ).first()
    if row is None or (row.waiting_reason and WaitingReason(row.waiting_reason) not in _SETTLES):
        return
    if conn.execute(
        select(exists().where(Chunk.campaign_id == bindparam("cid"), _GOES_NOW)), params
    ).scalar():
        return
    first = conn.execute(_FIRST_WAITING, params).first()
    if first is None:
        return
    if first.waiting_reason == ChunkWait.CONTACT_LIMIT:
        reason = WaitingReason.CONTACT_LIMIT
    elif first.status == ChunkStatus.READY and row.started_at is None:
        reason = WaitingReason.START_AT
    else:
        reason = WaitingReason.WINDOW
    wait_for(conn, campaign_id, reason, first.not_before)


def unsettled(conn: Connection, now: datetime, limit: int = 500) -> list[int]:
    """Active campaigns that say they wait for nothing while none of their chunks may go
    now (the block that closed last left only numbers for another day, say)."""
    goes_now = or_(
        Chunk.status.in_((ChunkStatus.QUEUED, ChunkStatus.SENDING)),
        (Chunk.status == ChunkStatus.READY)
        & or_(Chunk.not_before.is_(None), Chunk.not_before <= now),
    )
    waits = Chunk.status.in_((ChunkStatus.READY, ChunkStatus.DEFERRED)) & (Chunk.not_before > now)
    rows = conn.execute(
        select(Campaign.id)
        .where(
            Campaign.status.in_(CAMPAIGN_ACTIVE),
            Campaign.waiting_reason.is_(None),
            ~exists().where(Chunk.campaign_id == Campaign.id, goes_now),
            exists().where(Chunk.campaign_id == Campaign.id, waits),
        )
        .limit(limit)
    ).scalars()
    return [int(i) for i in rows]


def unconfigured_accounts_wait(conn: Connection, configured: Sequence[str], now: datetime) -> int:
    """Active campaigns on an account not in ``configured`` (beat's own accounts) say so;
    those whose account is configured again stop saying it.  How many changed."""
    names = list(configured)
    marked = conn.execute(
        update(Campaign)
        .where(
            Campaign.status.in_(CAMPAIGN_ACTIVE),
            Campaign.account.not_in(names),
            Campaign.waiting_reason.is_distinct_from(WaitingReason.ACCOUNT_NOT_CONFIGURED),
        )
        .values(
            waiting_reason=WaitingReason.ACCOUNT_NOT_CONFIGURED,
            next_send_at=None,
            updated_at=func.now(),
        )
    ).rowcount
    back = (
        conn.execute(
            update(Campaign)
            .where(
                Campaign.status.in_(CAMPAIGN_ACTIVE),
                Campaign.account.in_(names),
                Campaign.waiting_reason == WaitingReason.ACCOUNT_NOT_CONFIGURED,
            )
            .values(waiting_reason=None, updated_at=func.now())
            .returning(Campaign.id)
        )
        .scalars()
        .all()
    )
    for campaign_id in back:
        settle_waiting(conn, campaign_id, now)
    return int(marked) + len(back)


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
