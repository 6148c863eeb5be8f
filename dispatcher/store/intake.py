"""Writing a new campaign: its row, every recipient by COPY, its ``ready`` chunks and its
counts, all in the caller's one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection as PgConnection
from sqlalchemy import Connection, insert, update
from sqlalchemy.exc import IntegrityError

from dispatcher.domain.status import CampaignStatus, ChunkStatus, RecipientStatus
from dispatcher.errors import Conflict
from dispatcher.store.tables import COUNTERS, Campaign, Chunk

COPY_RECIPIENTS = (
    "COPY recipient (campaign_id, n, line, chunk_seq, msisdn, status, reason) FROM STDIN"
)


@dataclass(frozen=True, slots=True)
class Span:
    """One chunk cut by intake: its size and the first and last ``n`` in it."""

    size: int
    n_lo: int
    n_hi: int


@dataclass(frozen=True, slots=True)
class Tally:
    submitted: int
    sendable: int
    invalid: int
    duplicate: int
    suppressed: int


def create_campaign(conn: Connection, fields: dict[str, Any]) -> int:
    """The campaign row, ``scheduled``; Conflict when the idempotency key is taken."""
    try:
        campaign_id = conn.execute(
            insert(Campaign)
            .values(status=CampaignStatus.SCHEDULED, request_hash="pending", **fields)
            .returning(Campaign.id)
        ).scalar_one()
    except IntegrityError:
        raise Conflict("idempotency_key") from None
    return int(campaign_id)


def copy_recipients(conn: Connection, blocks: Iterable[str]) -> None:
    """Recipient rows as COPY text (``campaign_id, n, line, chunk_seq, msisdn, status,
    reason``), block by block: nothing is held whole in memory."""
    raw: PgConnection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
    with raw.cursor() as cur, cur.copy(COPY_RECIPIENTS) as copy:
        for block in blocks:
            copy.write(block)


def cut_chunks(
    conn: Connection, campaign_id: int, spans: Sequence[Span], not_before: datetime | None
) -> None:
    if not spans:
        return
    conn.execute(
        insert(Chunk),
        [
            {
                "campaign_id": campaign_id,
                "seq": seq,
                "size": span.size,
                "status": ChunkStatus.READY,
                "not_before": not_before,
                "n_lo": span.n_lo,
                "n_hi": span.n_hi,
            }
            for seq, span in enumerate(spans)
        ],
    )


def record_counts(
    conn: Connection, campaign_id: int, tally: Tally, chunks: int, request_hash: str
) -> None:
    """Intake's counts, and the counters the engine moves from here on."""
    conn.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(
            {
                Campaign.submitted: tally.submitted,
                Campaign.sendable: tally.sendable,
                Campaign.invalid: tally.invalid,
                Campaign.duplicate: tally.duplicate,
                Campaign.suppressed: tally.suppressed,
                Campaign.chunks: chunks,
                Campaign.request_hash: request_hash,
                COUNTERS[RecipientStatus.PENDING]: tally.sendable,
                COUNTERS[RecipientStatus.INVALID]: tally.invalid,
                COUNTERS[RecipientStatus.SUPPRESSED]: tally.suppressed,
            }
        )
    )
