"""The small values the store hands out: what a caller needs of a row, typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dispatcher.domain.message import Method
from dispatcher.domain.numbers import InvalidSample
from dispatcher.domain.progress import Progress
from dispatcher.domain.status import (
    CampaignStatus,
    ChunkStatus,
    DeliveryState,
    Purpose,
    RecipientStatus,
    WaitingReason,
)


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


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A campaign as lists show it: from its row and counters, never a scan of its
    recipients.  ``figures`` are measured against the reader's clock and pace."""

    id: int
    tenant: str
    account: str
    name: str
    status: CampaignStatus
    waiting_reason: WaitingReason | None
    next_send_at: datetime | None
    start_at: datetime | None  # as asked; next_send_at is when it may first go
    failure_reason: str | None
    method: Method
    purpose: Purpose
    priority: int  # 0 normal, above 0 high
    test: bool  # a few numbers a person sent to check the message
    sendable: int
    chunks: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    recipients: dict[RecipientStatus, int]  # by status, every status present
    figures: Progress
    elapsed_s: float | None


@dataclass(frozen=True, slots=True)
class CallbackView:
    """The "finished" callback's delivery."""

    state: DeliveryState
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    next_at: datetime


@dataclass(frozen=True, slots=True)
class CampaignDetailView:
    """Everything about one campaign."""

    campaign: CampaignView
    message: str
    start_at: datetime | None
    expires_at: datetime | None
    callback_url: str | None
    reply_url: str | None
    replies_received: int
    opt_outs: int
    encoding: str
    segments: int
    plan: dict[str, Any] | None
    idempotency_key: str | None
    submitted: int
    invalid: int
    duplicate: int
    suppressed: int
    callback: CallbackView | None
    # retention deleted its recipients, texts and replies (its counts stay)
    recipients_deleted_at: datetime | None = None
    recipients_deleted_because: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignLine:
    """One line of ``pregonero campaign list``."""

    id: int
    tenant: str
    name: str
    status: CampaignStatus
    waiting_reason: WaitingReason | None
    sendable: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RecipientRow:
    """One recipient's outcome (exports, pages, a number's record)."""

    n: int
    msisdn: str
    status: RecipientStatus
    reason: str | None
    code: int | None
    provider_ref: str | None
    updated_at: datetime
    detail: str | None = None
    text_id: int | None = None


@dataclass(frozen=True, slots=True)
class TextRow:
    """One distinct text of a campaign."""

    id: int
    text: str
    encoding: str
    segments: int
    numbers: int


@dataclass(frozen=True, slots=True)
class StoredIntake:
    """What intake answered for a stored campaign: its counts and refused numbers."""

    campaign_id: int | None  # None: a dry run
    status: CampaignStatus
    submitted: int
    sendable: int
    invalid: int
    duplicate: int
    suppressed: int
    chunks: int
    encoding: str
    segments: int
    invalid_sample: list[InvalidSample]
    reached_today: int | None = None  # at intake (Ley 2300); None on a replay
    plan: dict[str, Any] | None = None  # None: stored before plans were made


@dataclass(frozen=True, slots=True)
class FinishedCampaign:
    """What a campaign's "finished" callback tells its backend system."""

    id: int
    name: str
    status: CampaignStatus
    failure_reason: str | None
    submitted: int
    sendable: int
    invalid: int
    duplicate: int
    suppressed: int
    started_at: datetime | None
    finished_at: datetime | None
    recipients: dict[RecipientStatus, int]  # the statuses that have any


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """A recipient's outcome in the outcomes report."""

    campaign_id: int
    n: int
    msisdn: str
    status: RecipientStatus
    reason: str | None
    code: int | None
    provider_ref: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """Recipients by status and the segments charged, for a day or a campaign."""

    day: date | None
    campaign_id: int | None
    campaign_name: str | None
    counts: dict[str, int]  # submitted, each recipient status, segments


@dataclass(frozen=True, slots=True)
class InboundRow:
    """A reply as the provider handed it over, and the campaign it was attributed to."""

    id: int
    received_at: datetime
    msisdn: str
    text: str
    campaign_id: int | None
    account: str | None
    opt_out: bool
    recipient_n: int | None = None  # the recipient it answers, when attributed
    campaign: str | None = None  # that campaign's name, where the reader joined it


@dataclass(frozen=True, slots=True)
class SuppressionRow:
    """A number on an account's suppression list."""

    account: str
    msisdn: str
    reason: str
    source: str
    by: str | None  # who added it: an API key's prefix, a command, the provider
    at: datetime
    tenant_id: int = 0  # 0: for every tenant on the account; else only that tenant's
