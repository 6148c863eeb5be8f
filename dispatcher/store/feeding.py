"""The feeder's reads and its one transition (DESIGN §5.1): which campaigns have chunks
due, and taking the next one of a campaign into the broker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, exists, func, or_, select

from dispatcher.domain.status import CAMPAIGN_ACTIVE, ChunkStatus, Purpose
from dispatcher.store import campaigns, chunks
from dispatcher.store.rows import Candidate, QueuedChunk
from dispatcher.store.tables import Campaign, Chunk

FEED_LOCK = 0x5052_4547  # "PREG": one feeder at a time across all hosts


_TRY_LOCK = select(func.pg_try_advisory_xact_lock(FEED_LOCK))


def try_lock(conn: Connection) -> bool:
    """The feeder's transaction-scoped advisory lock: False when another feeder has it."""
    return bool(conn.execute(_TRY_LOCK).scalar())


# The feeder runs after every block: its statements are built once.
_QUEUED = (
    select(func.count())
    .select_from(Chunk)
    .join(Campaign, Campaign.id == Chunk.campaign_id)
    .where(Campaign.account == bindparam("account"), Chunk.status == ChunkStatus.QUEUED)
)


def queued(conn: Connection, account: str) -> int:
    """Chunks of the account waiting in the broker."""
    return int(conn.execute(_QUEUED, {"account": account}).scalar_one())


_DUE = or_(Chunk.not_before.is_(None), Chunk.not_before <= bindparam("now"))
_CANDIDATES = (
    select(Campaign.id, Campaign.purpose, Campaign.priority)
    .where(
        Campaign.account == bindparam("account"),
        Campaign.status.in_(CAMPAIGN_ACTIVE),
        or_(Campaign.start_at.is_(None), Campaign.start_at <= bindparam("now")),
        or_(Campaign.expires_at.is_(None), Campaign.expires_at > bindparam("now")),
        exists().where(Chunk.campaign_id == Campaign.id, Chunk.status == ChunkStatus.READY, _DUE),
    )
    .order_by(Campaign.priority.desc(), Campaign.last_fed_at.asc().nulls_first(), Campaign.id)
)
_NEXT_CHUNK = (
    select(Chunk.id, Chunk.seq, Chunk.size)
    .where(Chunk.campaign_id == bindparam("campaign_id"), Chunk.status == ChunkStatus.READY, _DUE)
    .order_by(Chunk.seq)
    .limit(1)
    .with_for_update(skip_locked=True)
)


def candidates(conn: Connection, account: str, now: datetime) -> list[Candidate]:
    """Campaigns of the account with a ready chunk due: by priority, then the one fed
    longest ago first (round-robin)."""
    rows = conn.execute(_CANDIDATES, {"account": account, "now": now}).all()
    return [Candidate(int(r.id), Purpose(r.purpose), int(r.priority)) for r in rows]


def take_one(conn: Connection, campaign_id: int, now: datetime) -> QueuedChunk | None:
    """The campaign's next due ready chunk, published; None when it has none (or a pause
    committed meanwhile: it always wins)."""
    row = conn.execute(_NEXT_CHUNK, {"campaign_id": campaign_id, "now": now}).first()
    if row is None or not campaigns.start(conn, campaign_id):
        return None
    chunks.publish(conn, row.id)
    return QueuedChunk(row.id, campaign_id, row.seq, row.size)
