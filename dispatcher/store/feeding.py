"""The feeder's reads and its one transition (docs/architecture.md, "Recovery"): which
campaigns have chunks due, and taking the next one of a campaign into the broker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection, Engine, bindparam, exists, func, or_, select, update

from dispatcher.domain.status import CAMPAIGN_ACTIVE, ChunkStatus, Purpose
from dispatcher.store import campaigns, chunks
from dispatcher.store.rows import Candidate, QueuedChunk
from dispatcher.store.tables import Campaign, Chunk, ProviderAccount

FEED_LOCK = 0x5052_4547  # "PREG": one feeder at a time across all hosts


# What one feeder tick starts with, in one statement: the advisory lock (one feeder at
# a time across all hosts), the unpaused accounts and their chunks in the broker.  No
# rows: nothing to feed, or another feeder has the lock.
_ROOM = (
    select(
        ProviderAccount.name,
        select(func.count())
        .select_from(Chunk)
        .join(Campaign, Campaign.id == Chunk.campaign_id)
        .where(Campaign.account == ProviderAccount.name, Chunk.status == ChunkStatus.QUEUED)
        .scalar_subquery(),
    )
    .where(ProviderAccount.paused.is_(False), func.pg_try_advisory_xact_lock(FEED_LOCK))
    .order_by(ProviderAccount.name)
)


def accounts_to_feed(conn: Connection) -> list[tuple[str, int]]:
    """Each unpaused account with how many of its chunks wait in the broker; none when
    another feeder is at it (the lock is held until this transaction ends)."""
    return [(str(name), int(queued)) for name, queued in conn.execute(_ROOM)]


_DUE = or_(Chunk.not_before.is_(None), Chunk.not_before <= bindparam("now"))
_CANDIDATES = (
    select(Campaign.id, Campaign.purpose, Campaign.priority)
    .where(
        Campaign.account == bindparam("account"),
        Campaign.status.in_(CAMPAIGN_ACTIVE),
        Campaign.purpose.in_(bindparam("purposes", expanding=True)),
        or_(Campaign.start_at.is_(None), Campaign.start_at <= bindparam("now")),
        or_(Campaign.expires_at.is_(None), Campaign.expires_at > bindparam("now")),
        exists().where(Chunk.campaign_id == Campaign.id, Chunk.status == ChunkStatus.READY, _DUE),
    )
    .order_by(Campaign.priority.desc(), Campaign.last_fed_at.asc().nulls_first(), Campaign.id)
    # The first few in that order (ix_campaign_feed walks it): the feeder never reads
    # every waiting campaign, however many thousands there are.
    .limit(bindparam("limit"))
)
_NEXT_CHUNK = (
    select(Chunk.id, Chunk.seq, Chunk.size)
    .where(Chunk.campaign_id == bindparam("cid"), Chunk.status == ChunkStatus.READY, _DUE)
    .order_by(Chunk.seq)
    .limit(1)
    .with_for_update(skip_locked=True)
    .cte("next_chunk")
)
_STARTED = (
    update(Campaign)
    .where(
        Campaign.id == bindparam("cid"),
        Campaign.status.in_(CAMPAIGN_ACTIVE),
        exists(select(_NEXT_CHUNK.c.id)),
    )
    .values(campaigns.STARTED)
    .returning(Campaign.id)
    .cte("started")
)
# The campaign's next due chunk published and the campaign started, in one statement.
# A pause that commits meanwhile wins: the campaign's UPDATE waits for it and then finds
# the campaign no longer active (READ COMMITTED re-checks the newest row version), so
# nothing is published.
_TAKE = (
    update(Chunk)
    .where(Chunk.id == _NEXT_CHUNK.c.id, exists(select(_STARTED.c.id)))
    .values(chunks.PUBLISHED)
    .returning(Chunk.id, Chunk.seq, Chunk.size)
)


def candidates(
    conn: Connection, account: str, now: datetime, purposes: Sequence[Purpose], limit: int
) -> list[Candidate]:
    """At most ``limit`` campaigns of the account, for these purposes, with a ready chunk
    due: by priority, then the one fed longest ago first (round-robin)."""
    if not purposes:
        return []
    params = {"account": account, "now": now, "purposes": list(purposes), "limit": limit}
    rows = conn.execute(_CANDIDATES, params).all()
    return [Candidate(int(r.id), Purpose(r.purpose), int(r.priority)) for r in rows]


def take_one(conn: Connection, campaign_id: int, now: datetime) -> QueuedChunk | None:
    """The campaign's next due ready chunk, published; None when it has none (or a pause
    committed meanwhile: it always wins)."""
    row = conn.execute(_TAKE, {"cid": campaign_id, "now": now}).first()
    return None if row is None else QueuedChunk(row.id, campaign_id, row.seq, row.size)


# Ready work is announced on this channel when it commits (intake, a resume), so the
# feeder publishes at once instead of on its next tick.
READY_CHANNEL = "pregonero_ready"


def announce_ready(conn: Connection) -> None:
    """Tell the feeder, when this transaction commits, that chunks are ready."""
    conn.execute(select(func.pg_notify(READY_CHANNEL, "")))


class ReadyListener:
    """The feeder's ear: a connection of its own that LISTENs on ``READY_CHANNEL``.
    Reconnects on the next wait after the database was lost."""

    def __init__(self, engine: Engine):
        # psycopg's own URL form: the engine's, without SQLAlchemy's driver name.
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._conn: psycopg.Connection[Any] | None = None

    def wait(self, timeout_s: float) -> bool:
        """True when work was announced within ``timeout_s`` seconds."""
        try:
            if self._conn is None:
                self._conn = psycopg.connect(
                    self._conninfo, autocommit=True, application_name="pregonero-feeder"
                )
                self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(READY_CHANNEL)))
            return any(True for _ in self._conn.notifies(timeout=timeout_s, stop_after=1))
        except psycopg.Error:
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
