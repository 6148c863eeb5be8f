"""The records (docs/architecture.md, "Records").  Postgres is the truth; every change is
an Alembic migration.

Statuses are text with CHECK constraints built from the vocabularies in
``domain.status`` (text is easier to evolve than Postgres enum types).
Recipients are keyed by ``(campaign_id, n)`` — ``n`` is the order of the number in the
submission — and point at their chunk by ``chunk_seq``, so intake can COPY them in one
pass without asking the database for ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    literal,
    null,
)
from sqlalchemy import (
    text as sql,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from dispatcher.domain.message import Method
from dispatcher.domain.status import (
    CAMPAIGN_ACTIVE,
    CHUNK_OPEN,
    CampaignStatus,
    ChunkStatus,
    DeliveryState,
    Purpose,
    RecipientStatus,
    Role,
    SuppressionSource,
    WaitingReason,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

METHODS = tuple(Method)


def _in(column: str, values: Iterable[StrEnum]) -> str:
    """A CHECK or index condition; the values are our own enum members, never input."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class SafeTime(TypeDecorator[datetime]):
    """A ``timestamptz`` read back only between 1900 and 2200: psycopg cannot read a
    Postgres timestamp outside Python's years, and a list must not fail on one row.
    Outside that range it reads as null."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def column_expression(self, column: ColumnElement[datetime]) -> ColumnElement[datetime]:
        return case((column.between(_READABLE_FROM, _READABLE_TO), column), else_=null())


_READABLE_FROM = literal(datetime(1900, 1, 1, tzinfo=UTC), DateTime(timezone=True))
_READABLE_TO = literal(datetime(2200, 1, 1, tzinfo=UTC), DateTime(timezone=True))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _counter() -> Mapped[int]:
    return mapped_column(Integer, server_default=sql("0"), nullable=False)


class Tenant(Base):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = _now()
    # The key of the tenant's callback signatures (`pregonero tenant secret`).
    callback_secret: Mapped[str] = mapped_column(String(64))
    # Where replies to its campaigns go when a campaign names no reply_url.
    reply_url: Mapped[str | None] = mapped_column(Text)
    # Days its finished campaigns keep their recipients and replies; null: RETENTION_DAYS.
    retention_days: Mapped[int | None] = mapped_column(Integer)


class ApiKey(Base):
    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint(_in("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    role: Mapped[str] = mapped_column(String(16), server_default=sql("'tenant'"))
    # The provider accounts this key may send through; NULL: all of them.
    accounts: Mapped[list[str] | None] = mapped_column(ARRAY(String(64)))


class UiSession(Base):
    """A browser signed in at /ui: the cookie's token (hashed), the key it stands for,
    the token its forms carry (CSRF), and when it ends."""

    __tablename__ = "ui_session"
    __table_args__ = (Index("ix_ui_session_expires_at", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProviderAccount(Base):
    """An account's state.  Its credentials live in settings, never here."""

    __tablename__ = "provider_account"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    methods: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    links_allowed: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    paused: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    pause_reason: Mapped[str | None] = mapped_column(String(32))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_balance: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = _now()


class ProcessSeen(Base):
    """A running API, worker or beat process and the provider accounts it is configured
    with, refreshed every minute or so: a mismatch between hosts shows in /v1/accounts
    and ``sms status``."""

    __tablename__ = "process_seen"

    process: Mapped[str] = mapped_column(String(200), primary_key=True)  # role host:pid
    role: Mapped[str] = mapped_column(String(16))
    accounts: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    started_at: Mapped[datetime] = _now()
    seen_at: Mapped[datetime] = _now()


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_campaign_tenant_idempotency"),
        CheckConstraint(_in("status", CampaignStatus), name="status"),
        CheckConstraint(_in("purpose", Purpose), name="purpose"),
        CheckConstraint(_in("method", METHODS), name="method"),
        CheckConstraint(
            f"waiting_reason IS NULL OR {_in('waiting_reason', WaitingReason)}",
            name="waiting_reason",
        ),
        Index("ix_campaign_tenant_id_id", "tenant_id", "id"),
        Index("ix_campaign_status_priority", "status", "priority"),
        # Reports: the campaigns whose recipients may have changed in a date range.
        Index("ix_campaign_tenant_id_updated_at", "tenant_id", "updated_at"),
        # The feeder's order, among the campaigns that may send (store.feeding).
        Index(
            "ix_campaign_feed",
            "account",
            sql("priority DESC"),
            sql("last_fed_at ASC NULLS FIRST"),
            "id",
            postgresql_where=sql(_in("status", CAMPAIGN_ACTIVE)),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    account: Mapped[str] = mapped_column(ForeignKey("provider_account.name"))
    name: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger, server_default=sql("0"))
    status: Mapped[str] = mapped_column(String(16))
    waiting_reason: Mapped[str | None] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Times a request gave: read through SafeTime, so a row stored before they were
    # checked (year 1, year 9999 with an offset) never breaks a list.
    start_at: Mapped[datetime | None] = mapped_column(SafeTime())
    expires_at: Mapped[datetime | None] = mapped_column(SafeTime())
    next_send_at: Mapped[datetime | None] = mapped_column(SafeTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    callback_url: Mapped[str | None] = mapped_column(Text)
    reply_url: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int] = mapped_column(SmallInteger)
    # What intake worked out before anything was sent: texts, requests, segments, cost,
    # time, balance, warnings (domain.forecast).  Null for campaigns stored before it.
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    transliterate: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    # A few numbers sent to check a message before the real campaign (the page's "Send a
    # test"): sent like any other campaign, and marked so in lists.
    test: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    submitted: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    sendable: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    invalid: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    duplicate: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    suppressed: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    chunks: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # updated_at moves with every change of a recipient (the counters' statements): no
    # recipient of the campaign changed after it.
    # The feeder's round-robin: the campaign fed longest ago goes first.
    last_fed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Recipients by status, changed by the store in the same transaction as the
    # recipients themselves, so a campaign's counts are read in constant time.
    n_pending: Mapped[int] = _counter()
    n_accepted: Mapped[int] = _counter()
    n_rejected: Mapped[int] = _counter()
    n_invalid: Mapped[int] = _counter()
    n_suppressed: Mapped[int] = _counter()
    n_uncertain: Mapped[int] = _counter()
    n_cancelled: Mapped[int] = _counter()
    n_failed: Mapped[int] = _counter()
    # Replies attributed to the campaign, and those that opted out.
    n_replies: Mapped[int] = _counter()
    n_opt_outs: Mapped[int] = _counter()
    # The rules intake applied, for an inspection (the evidence export): the window, Ley
    # 2300's hours and contact limit, and each exclusion list checked with its date.
    checks: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # When retention deleted its recipients and replies, and why (the export answers 410).
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    purge_reason: Mapped[str | None] = mapped_column(Text)


class MessageTemplate(Base):
    """A tenant's saved message: picked on the page's new-campaign form.  A name once per
    tenant; another tenant never reads it."""

    __tablename__ = "message_template"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_message_template_tenant_name"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class Chunk(Base):
    """The outbox: a block of up to CHUNK_SIZE numbers and what happened to it."""

    __tablename__ = "chunk"
    __table_args__ = (
        UniqueConstraint("campaign_id", "seq", name="uq_chunk_campaign_seq"),
        CheckConstraint(_in("status", ChunkStatus), name="status"),
        Index("ix_chunk_status_not_before", "status", "not_before"),
        Index(
            "ix_chunk_campaign_open",
            "campaign_id",
            "seq",
            postgresql_where=sql(_in("status", CHUNK_OPEN)),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    # Every recipient of the chunk has n_lo <= n <= n_hi: its rows are found through the
    # recipient primary key, with no second index to slow down intake's COPY.
    n_lo: Mapped[int] = mapped_column(Integer)
    n_hi: Mapped[int] = mapped_column(Integer)
    # The one text its request carries (campaign_text.id): a chunk holds numbers of one text.
    text_id: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    status: Mapped[str] = mapped_column(String(16))
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    waiting_reason: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    http_status: Mapped[int | None] = mapped_column(SmallInteger)
    raw_answer: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Recipient(Base):
    """Partitioned by ranges of campaign ids (``store.partitions``): retention drops a
    partition whole once every campaign in it is past its retention."""

    __tablename__ = "recipient"
    __table_args__ = (
        CheckConstraint(_in("status", RecipientStatus), name="status"),
        {"postgresql_partition_by": "RANGE (campaign_id)"},
    )

    # No foreign key on purpose: a per-row RI check doubles the cost of intake's COPY of a
    # million rows, and intake writes the campaign and its recipients in one transaction.
    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)  # order in the submission
    line: Mapped[int | None] = mapped_column(Integer)  # line of the upload, for invalid ones
    chunk_seq: Mapped[int | None] = mapped_column(Integer)
    msisdn: Mapped[str] = mapped_column(String(64))  # 12 digits, or the raw text if invalid
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[int | None] = mapped_column(BigInteger)
    provider_ref: Mapped[str | None] = mapped_column(String(32))
    # Its text (campaign_text.id); null when it is not sent (invalid, suppressed) and for
    # campaigns stored before texts (their text is the message).
    text_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)  # why invalid, when the reason needs it
    updated_at: Mapped[datetime] = _now()


class CampaignText(Base):
    """Each distinct text of a campaign, once: the message itself (id 0) or what its
    template rendered for its recipients.  No foreign key, like recipient: intake COPYs
    them in its one transaction."""

    __tablename__ = "campaign_text"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int] = mapped_column(SmallInteger)


class Suppression(Base):
    """A number never to be sent again through a provider account (the provider blocks
    numbers per account, and a person opts out of what reached them).  ``tenant_id`` 0:
    for every tenant on the account (opt-outs, the provider's -8, an operator's list);
    else the tenant that added it, for its own campaigns only."""

    __tablename__ = "suppression"
    __table_args__ = (CheckConstraint(_in("source", SuppressionSource), name="source"),)

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(12), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True, server_default=sql("0"))
    reason: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    by: Mapped[str | None] = mapped_column(String(200))  # who added it (a key, a reply)
    at: Mapped[datetime] = _now()


class SuppressionRemoval(Base):
    """The audit of a number taken off the suppression list: what it was, who, why."""

    __tablename__ = "suppression_removal"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    # 12 digits, or the keyed hash of a number erased since (32 hex digits)
    msisdn: Mapped[str] = mapped_column(String(32), index=True)
    tenant_id: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    reason: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_by: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text)
    removed_at: Mapped[datetime] = _now()


class ReplyTarget(Base):
    """The latest two-way campaign that reached a number through an account (written
    when the provider accepts it): where a reply from that number belongs.  Kept apart
    so that recipients need no index on the number (it would slow intake's COPY)."""

    __tablename__ = "reply_target"

    # The number first: a reply that names no account is looked up by the number alone.
    msisdn: Mapped[str] = mapped_column(String(12), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger)
    n: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = _now()


class InboundMessage(Base):
    """A reply the provider delivered to ``/inbound/{secret}``; ``campaign_id`` and
    ``recipient_n`` name the recipient it answers (no foreign key: retention deletes
    both together, and a key's check per deleted recipient would cost more)."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        Index("ix_inbound_message_at", "at"),
        Index("ix_inbound_message_msisdn_at", "msisdn", "at"),
        Index("ix_inbound_message_campaign_id_id", "campaign_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = _now()
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    recipient_n: Mapped[int | None] = mapped_column(Integer)
    opt_out: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    # The account the reply came through: named in the URL, or the campaign's.
    account: Mapped[str | None] = mapped_column(String(64))


class CallbackDelivery(Base):
    """One event to tell a backend system about, delivered once: claimed by one
    deliverer at a time, retried with backoff for a day."""

    __tablename__ = "callback_delivery"
    __table_args__ = (
        # One "finished" per campaign; one delivery per reply.
        Index(
            "uq_callback_delivery_campaign_event",
            "campaign_id",
            "event",
            unique=True,
            postgresql_where=sql("inbound_id IS NULL"),
        ),
        CheckConstraint(_in("state", DeliveryState), name="state"),
        Index("ix_callback_delivery_state_next_at", "state", "next_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the event id
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_message.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # the same bytes at every attempt
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    next_at: Mapped[datetime] = _now()
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DailyContact(Base):
    """Ley 2300: a number reached by a tenant's campaign of a purpose in a period of its
    contact limit (CONTACT_LIMITS): ``day`` is the period's first (Bogota) day, the day
    itself or the week's Monday.  Written before the block is sent, so two workers
    cannot both send."""

    __tablename__ = "daily_contact"

    tenant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(12), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger)


class ExclusionList(Base):
    """A named list of numbers that must not receive messages of some purposes (the
    CRC's RNE, a company's own "do not market" list), and when its content was taken."""

    __tablename__ = "exclusion_list"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    purposes: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    source: Mapped[str | None] = mapped_column(Text)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_at: Mapped[datetime] = _now()
    imported_by: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int] = _counter()


class ExclusionEntry(Base):
    """A number on a list; found by the number first (intake asks per batch).  No
    foreign key to the list: its check per row would slow a 5M-number import, and the
    list's removal deletes its entries itself."""

    __tablename__ = "exclusion_entry"

    msisdn: Mapped[str] = mapped_column(String(12), primary_key=True)
    list_name: Mapped[str] = mapped_column(String(50), primary_key=True)


class ErasedNumber(Base):
    """A number a data subject had erased, by its keyed hash only: intake and the send
    path keep it suppressed for every tenant and account."""

    __tablename__ = "erased_number"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = _now()


class ErasureAudit(Base):
    """Who erased a number, why, when, and what was changed (counts, never the number)."""

    __tablename__ = "erasure_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    by: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = _now()
    changed: Mapped[dict[str, Any]] = mapped_column(JSONB)


# The campaign column that counts the recipients in each status.
COUNTERS: dict[RecipientStatus, InstrumentedAttribute[int]] = {
    RecipientStatus.PENDING: Campaign.n_pending,
    RecipientStatus.ACCEPTED: Campaign.n_accepted,
    RecipientStatus.REJECTED: Campaign.n_rejected,
    RecipientStatus.INVALID: Campaign.n_invalid,
    RecipientStatus.SUPPRESSED: Campaign.n_suppressed,
    RecipientStatus.UNCERTAIN: Campaign.n_uncertain,
    RecipientStatus.CANCELLED: Campaign.n_cancelled,
    RecipientStatus.FAILED: Campaign.n_failed,
}
