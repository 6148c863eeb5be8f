"""Chunk rows: the outbox's transitions (docs/architecture.md, "Records").

``ready`` -> (feeder) ``queued`` -> (claim) ``sending`` -> ``done`` | ``uncertain`` |
``failed``; ``deferred`` waits for ``not_before``; ``cancelled`` by a person or expiry.
Each function does its whole change: the recipients that move with a chunk, the
chunk sizes, the counters, and the campaign's completion when its last chunk closes.
Functions take an open connection inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, insert, select, update

from dispatcher.domain.plan import Settle
from dispatcher.domain.status import (
    CHUNK_UNSENT,
    ChunkStatus,
    ChunkWait,
    Reason,
    RecipientStatus,
    WaitingReason,
)
from dispatcher.store import campaigns, recipients
from dispatcher.store.rows import ChunkRef, QueuedChunk
from dispatcher.store.tables import Chunk

_REF = (Chunk.id, Chunk.campaign_id, Chunk.seq, Chunk.n_lo, Chunk.n_hi)


def ref(conn: Connection, chunk_id: int) -> ChunkRef:
    row = conn.execute(select(*_REF).where(Chunk.id == chunk_id)).one()
    return ChunkRef(*row)


_STATUS_OF = select(Chunk.status).where(Chunk.id == bindparam("chunk_id"))


def status_of(conn: Connection, chunk_id: int) -> ChunkStatus | None:
    found = conn.execute(_STATUS_OF, {"chunk_id": chunk_id}).scalar()
    return None if found is None else ChunkStatus(found)


def _unsent(
    conn: Connection,
    chunk_id: int,
    before: ChunkStatus,
    values: dict[str, object],
    error: str | None,
    raw: str | None,
) -> bool:
    """A chunk that did not go out changes state, keeping why (when known)."""
    if error is not None:
        values["error"] = error
    if raw is not None:
        values["raw_answer"] = raw
    changed = conn.execute(
        update(Chunk).where(Chunk.id == chunk_id, Chunk.status == before).values(values)
    ).rowcount
    return bool(changed)


def back_to_ready(
    conn: Connection,
    chunk_id: int,
    before: ChunkStatus,
    *,
    error: str | None = None,
    raw: str | None = None,
) -> bool:
    """Unsent after all: the feeder publishes it again when its campaign and account
    may send."""
    values: dict[str, object] = {"status": ChunkStatus.READY, "published_at": None}
    return _unsent(conn, chunk_id, before, values, error, raw)


def defer(
    conn: Connection,
    chunk_id: int,
    before: ChunkStatus,
    not_before: datetime | None,
    wait: ChunkWait | None,
    *,
    error: str | None = None,
    raw: str | None = None,
) -> bool:
    """Unsent, to wait until ``not_before`` (beat releases it then)."""
    values: dict[str, object] = {
        "status": ChunkStatus.DEFERRED,
        "not_before": not_before,
        "waiting_reason": wait,
        "published_at": None,
    }
    return _unsent(conn, chunk_id, before, values, error, raw)


def wait_for_window(conn: Connection, campaign_id: int, opens: datetime | None) -> None:
    """Outside the window: the campaign's waiting chunks sleep until it opens (beat
    releases them); nothing waits in the broker with an ETA.  A queued chunk's message
    then finds it deferred and does nothing."""
    conn.execute(
        update(Chunk)
        .where(
            Chunk.campaign_id == campaign_id,
            Chunk.status.in_((ChunkStatus.READY, ChunkStatus.QUEUED)),
        )
        .values(
            status=ChunkStatus.DEFERRED,
            not_before=opens,
            waiting_reason=ChunkWait.WINDOW,
            published_at=None,
        )
    )
    campaigns.wait_for(conn, campaign_id, WaitingReason.WINDOW, opens)


_CLOSE = (
    update(Chunk)
    .where(Chunk.id == bindparam("chunk_id"))
    .values(
        status=bindparam("to_status"),
        raw_answer=bindparam("raw"),
        http_status=bindparam("http"),
        error=bindparam("error_text"),
        finished_at=func.now(),
    )
)


def close(
    conn: Connection,
    chunk: ChunkRef,
    status: ChunkStatus,
    outcomes: Sequence[Settle],
    *,
    raw: str | None,
    http_status: int | None,
    error: str | None = None,
) -> None:
    """The block's end state with the provider's raw answer, its recipients' outcomes,
    and the campaign completed when this was its last open chunk.  (In this order: the
    campaign row, which every block of the campaign needs, is held for the least time.)"""
    conn.execute(
        _CLOSE,
        {
            "chunk_id": chunk.id,
            "to_status": status,
            "raw": raw,
            "http": http_status,
            "error_text": error,
        },
    )
    # Settling updates the campaign's counters: its row is then held, as the next needs.
    settled = recipients.settle(conn, chunk.campaign_id, outcomes)
    campaigns.complete_if_done(conn, chunk.campaign_id, locked=settled)


def close_empty(conn: Connection, chunk: ChunkRef) -> None:
    """Nothing of it is left to send (opted out, or reached in the contact period already)."""
    conn.execute(
        update(Chunk)
        .where(Chunk.id == chunk.id, Chunk.status == ChunkStatus.QUEUED)
        .values(status=ChunkStatus.DONE, size=0, finished_at=func.now())
    )
    campaigns.complete_if_done(conn, chunk.campaign_id)


def move_numbers(
    conn: Connection,
    source: ChunkRef,
    ns: Sequence[int],
    status: ChunkStatus,
    not_before: datetime | None,
    wait: ChunkWait | None,
) -> int:
    """Put these recipients of ``source`` into a new chunk of their own (balance ran out,
    a split, Ley 2300) and shrink ``source`` by as many; return the new chunk's seq."""
    campaigns.lock(conn, source.campaign_id)  # one new seq at a time; see complete_if_done
    seq = conn.execute(
        select(func.coalesce(func.max(Chunk.seq), -1) + 1).where(
            Chunk.campaign_id == source.campaign_id
        )
    ).scalar_one()
    conn.execute(
        insert(Chunk).values(
            campaign_id=source.campaign_id,
            seq=seq,
            size=len(ns),
            n_lo=min(ns),
            n_hi=max(ns),
            # the same text: a chunk holds numbers of one text
            text_id=select(Chunk.text_id).where(Chunk.id == source.id).scalar_subquery(),
            status=status,
            not_before=not_before,
            waiting_reason=wait,
        )
    )
    recipients.to_chunk(conn, source.campaign_id, ns, int(seq))
    conn.execute(update(Chunk).where(Chunk.id == source.id).values(size=Chunk.size - len(ns)))
    return int(seq)


def keep_for_another_period(
    conn: Connection, chunk: ChunkRef, ns: Sequence[int], opens: datetime | None
) -> None:
    """Ley 2300: numbers already reached in the contact limit's period wait, apart, for
    the next period's first permitted moment."""
    move_numbers(conn, chunk, ns, ChunkStatus.DEFERRED, opens, ChunkWait.CONTACT_LIMIT)


def wait_for_balance(conn: Connection, chunk: ChunkRef, ns: Sequence[int]) -> None:
    """The provider refused these numbers for balance while the rest of the block went
    out: they wait, in a chunk of their own, for the account to resume."""
    move_numbers(conn, chunk, ns, ChunkStatus.READY, None, ChunkWait.BALANCE)


def split(conn: Connection, chunk: ChunkRef, last_of_first_half: int) -> None:
    """-7: too many numbers for one request; both halves go back to ready."""
    second = recipients.pending_after(conn, chunk, last_of_first_half)
    if second:
        move_numbers(conn, chunk, second, ChunkStatus.READY, None, None)
    conn.execute(
        update(Chunk)
        .where(Chunk.id == chunk.id)
        .values(status=ChunkStatus.READY, published_at=None, n_hi=last_of_first_half)
    )


def cancel_unsent(conn: Connection, campaign_id: int, reason: Reason) -> int:
    """Cancel the chunks not yet at the provider and their pending recipients; return
    how many recipients were cancelled.  A block being sent finishes."""
    seqs = (
        conn.execute(
            update(Chunk)
            .where(Chunk.campaign_id == campaign_id, Chunk.status.in_(CHUNK_UNSENT))
            .values(status=ChunkStatus.CANCELLED, finished_at=func.now())
            .returning(Chunk.seq)
        )
        .scalars()
        .all()
    )
    if not seqs:
        return 0
    return recipients.move(
        conn,
        recipients.in_seqs(campaign_id, seqs),
        RecipientStatus.PENDING,
        RecipientStatus.CANCELLED,
        reason,
    )


def requeue_uncertain(conn: Connection, campaign_id: int) -> int:
    """The operator's decision: the uncertain chunks are sent again; return how many
    recipients will be."""
    refs = conn.execute(
        update(Chunk)
        .where(Chunk.campaign_id == campaign_id, Chunk.status == ChunkStatus.UNCERTAIN)
        .values(status=ChunkStatus.READY, published_at=None, finished_at=None)
        .returning(*_REF)
    ).all()
    return sum(
        recipients.move(
            conn,
            recipients.in_chunk(ChunkRef(*r)),
            RecipientStatus.UNCERTAIN,
            RecipientStatus.PENDING,
            None,
        )
        for r in refs
    )


# Handed to the broker (store.feeding; published after the transaction commits).
PUBLISHED = {
    Chunk.status: ChunkStatus.QUEUED,
    Chunk.published_at: func.now(),
    Chunk.waiting_reason: None,
}


def close_uncertain(conn: Connection, campaign_id: int, outcome: RecipientStatus) -> int:
    """The operator checked the provider's report: the uncertain chunks are done, their
    recipients ``outcome`` (accepted or rejected); return how many recipients."""
    refs = conn.execute(
        update(Chunk)
        .where(Chunk.campaign_id == campaign_id, Chunk.status == ChunkStatus.UNCERTAIN)
        .values(status=ChunkStatus.DONE, error=f"uncertain, closed by an operator as {outcome}")
        .returning(*_REF)
    ).all()
    return sum(
        recipients.move(
            conn,
            recipients.in_chunk(ChunkRef(*r)),
            RecipientStatus.UNCERTAIN,
            outcome,
            Reason.CLOSED_BY_OPERATOR,
        )
        for r in refs
    )


def release_due(conn: Connection, now: datetime) -> int:
    """Deferred chunks whose time has come go back to ``ready``."""
    released = (
        conn.execute(
            update(Chunk)
            .where(Chunk.status == ChunkStatus.DEFERRED, Chunk.not_before <= now)
            .values(status=ChunkStatus.READY, not_before=None, waiting_reason=None)
            .returning(Chunk.campaign_id)
        )
        .scalars()
        .all()
    )
    campaigns.window_opened(conn, released)
    return len(released)


def republish_stale(conn: Connection, after_s: float) -> list[QueuedChunk]:
    """``queued`` chunks published longer ago than ``after_s``: their message may be lost.
    Touched so the next sweep waits again; a duplicate message is a no-op at the claim."""
    rows = conn.execute(
        update(Chunk)
        .where(
            Chunk.status == ChunkStatus.QUEUED,
            Chunk.published_at < func.now() - timedelta(seconds=after_s),
        )
        .values(published_at=func.now())
        .returning(Chunk.id, Chunk.campaign_id, Chunk.seq, Chunk.size)
    ).all()
    return [QueuedChunk(*row) for row in rows]


def reap(conn: Connection, lease_s: float) -> int:
    """A chunk left ``sending`` past the longest possible request lost its worker: what
    it sent cannot be known, so it and its numbers become uncertain."""
    lost = conn.execute(
        update(Chunk)
        .where(
            Chunk.status == ChunkStatus.SENDING,
            Chunk.claimed_at < func.now() - timedelta(seconds=lease_s),
        )
        .values(
            status=ChunkStatus.UNCERTAIN,
            finished_at=func.now(),
            error="the worker was lost during the request",
        )
        .returning(*_REF)
    ).all()
    for row in lost:
        chunk = ChunkRef(*row)
        recipients.move(
            conn,
            recipients.in_chunk(chunk),
            RecipientStatus.PENDING,
            RecipientStatus.UNCERTAIN,
            Reason.WORKER_LOST,
        )
        campaigns.complete_if_done(conn, chunk.campaign_id)
    return len(lost)
