"""The small values the store hands out: what a caller needs of a row, typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatcher.domain.message import Method
from dispatcher.domain.status import CampaignStatus, ChunkStatus, Purpose


@dataclass(frozen=True, slots=True)
class ChunkRef:
    """Where a chunk's recipients are: ``campaign_id``, ``n_lo <= n <= n_hi`` (the primary
    key's range, so no second index slows intake's COPY) and ``chunk_seq = seq``."""

    id: int
    campaign_id: int
    seq: int
    n_lo: int
    n_hi: int


@dataclass(frozen=True, slots=True)
class ChunkToSend:
    """A chunk with what deciding and sending it needs of its campaign and account."""

    chunk: ChunkRef
    status: ChunkStatus
    attempts: int
    campaign_status: CampaignStatus
    tenant_id: int
    account: str
    account_paused: bool
    message: str
    method: Method
    purpose: Purpose
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A campaign the feeder may take a chunk from."""

    campaign_id: int
    purpose: Purpose
    priority: int


@dataclass(frozen=True, slots=True)
class QueuedChunk:
    """A chunk handed to the broker: what the message carries (the id) and what an
    operator reads in Flower (campaign, block, size) — never numbers or text."""

    id: int
    campaign_id: int
    seq: int
    size: int

    def describe(self) -> str:
        return (
            f"chunk {self.id}: campaign {self.campaign_id}, block {self.seq}, {self.size} numbers"
        )
