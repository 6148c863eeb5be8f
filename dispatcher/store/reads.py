"""What the API and the CLI read: campaigns (from their counters, not a scan of their
recipients), recipients page by page or streamed, and the state of the system.  Every
campaign query takes the tenant: another tenant's campaign is simply not found (an
operator's tools pass ``None``).  Each function opens its own read-only connection."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Select, bindparam, func, select

from dispatcher.accounts import configured_accounts
from dispatcher.domain.message import Method
from dispatcher.domain.numbers import REASON_TEXT, InvalidReason, InvalidSample
from dispatcher.domain.progress import Figures, progress_of
from dispatcher.domain.status import (
    CHUNK_OPEN,
    CampaignStatus,
    DeliveryState,
    Purpose,
    RecipientStatus,
    WaitingReason,
)
from dispatcher.domain.times import iso
from dispatcher.domain.window import SendWindow
from dispatcher.errors import Gone, NotFound
from dispatcher.settings import Settings
from dispatcher.store.db import reading
from dispatcher.store.rows import (
    CallbackView,
    CampaignDetailView,
    CampaignLine,
    CampaignView,
    FinishedCampaign,
    RecipientRow,
    StoredIntake,
    TextRow,
)
from dispatcher.store.tables import (
    COUNTERS,
    CallbackDelivery,
    Campaign,
    CampaignText,
    Chunk,
    Recipient,
    Tenant,
)

SAMPLE_SIZE = 20
CSV_COLUMNS = (
    "msisdn", "status", "reason", "code", "provider_ref", "updated_at", "detail", "text_id",
)  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A cell a spreadsheet would run as a formula (``=cmd|...``, ``@SUM``, ``+1``)
    gets a leading quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


# In the same statement as the campaign's row (its partial index: the open ones only).
_OPEN_CHUNKS = (
    select(func.count())
    .select_from(Chunk)
    .where(Chunk.campaign_id == Campaign.id, Chunk.status.in_(CHUNK_OPEN))
    .scalar_subquery()
    .label("open_chunks")
)
_SUMMARY = (
    Campaign.id,
    Tenant.name.label("tenant"),
    Campaign.account,
    Campaign.name,
    Campaign.status,
    Campaign.waiting_reason,
    Campaign.next_send_at,
    Campaign.start_at,
    Campaign.failure_reason,
    Campaign.method,
    Campaign.purpose,
    Campaign.priority,
    Campaign.test,
    Campaign.sendable,
    Campaign.invalid,
    Campaign.chunks,
    Campaign.created_at,
    Campaign.started_at,
    Campaign.finished_at,
    *COUNTERS.values(),
    _OPEN_CHUNKS,
)
_DETAIL = (
    *_SUMMARY,
    Campaign.message,
    Campaign.expires_at,
    Campaign.callback_url,
    Campaign.reply_url,
    Campaign.n_replies,
    Campaign.n_opt_outs,
    Campaign.encoding,
    Campaign.segments,
    Campaign.plan,
    Campaign.idempotency_key,
    Campaign.submitted,
    Campaign.duplicate,
    Campaign.suppressed,
    Campaign.purged_at,
    Campaign.purge_reason,
)


@dataclass(frozen=True)
class Clock:
    """What a campaign's figures are read against: the time, the pace (an account's own
    when it has one), the zone its times are told in."""

    interval_s: float
    tz: ZoneInfo
    now: datetime | None = None
    intervals_s: Mapping[str, float] = field(default_factory=dict)  # by account
    window: SendWindow | None = None  # the provider's: says why a start was moved
    limits: Mapping[str, str] = field(default_factory=dict)  # CONTACT_LIMITS, by purpose
    read: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # when now is None

    @classmethod
    def of(cls, settings: Settings, now: datetime | None = None) -> Clock:
        paces = {a.name: a.block_interval_s for a in configured_accounts(settings)}
        return cls(
            settings.block_interval_s,
            settings.window.tz,
            now,
            paces,
            settings.window,
            settings.contact_limits,
            settings.now,
        )

    def at(self) -> datetime:
        return self.now or self.read()

    def interval_for(self, account: str) -> float:
        return self.intervals_s.get(account, self.interval_s)


AnySelect = Select[*tuple[Any, ...]]
_Q = TypeVar("_Q", bound=AnySelect)


def _owned(query: _Q, tenant_id: int | None) -> _Q:
    return query if tenant_id is None else query.where(Campaign.tenant_id == tenant_id)


def _not_found(campaign_id: int) -> NotFound:
    return NotFound(
        f"campaign {campaign_id} does not exist (or belongs to another tenant); "
        "`pregonero campaign list` shows them"
    )


def check_owner(conn: Connection, campaign_id: int, tenant_id: int | None) -> None:
    query = _owned(select(Campaign.id).where(Campaign.id == campaign_id), tenant_id)
    if conn.execute(query).first() is None:
        raise _not_found(campaign_id)


def check_kept(conn: Connection, campaign_id: int, tenant_id: int | None) -> None:
    """The campaign is the caller's and retention has not deleted its recipients (Gone,
    saying when and why, when it has)."""
    query = _owned(
        select(Campaign.purged_at, Campaign.purge_reason).where(Campaign.id == campaign_id),
        tenant_id,
    )
    row = conn.execute(query).first()
    if row is None:
        raise _not_found(campaign_id)
    if row.purged_at is not None:
        raise Gone(
            f"campaign {campaign_id}'s recipients are no longer kept: {row.purge_reason}. "
            "Its counts stay in GET /v1/campaigns/{id} and in the reports' daily summaries"
        )


def campaign_account(engine: Engine, campaign_id: int) -> str | None:
    """The provider account a campaign sends through (None: no such campaign)."""
    with engine.connect() as conn:
        account = conn.execute(select(Campaign.account).where(Campaign.id == campaign_id)).scalar()
    return None if account is None else str(account)


def out_of_reach(campaign_id: int) -> NotFound:
    """What a key limited to other accounts hears of a campaign: as if it did not exist."""
    return _not_found(campaign_id)


def owner(engine: Engine, campaign_id: int) -> int:
    """The tenant a campaign belongs to."""
    with engine.connect() as conn:
        tenant = conn.execute(select(Campaign.tenant_id).where(Campaign.id == campaign_id)).scalar()
    if tenant is None:
        raise _not_found(campaign_id)
    return int(tenant)


def tenant_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(Tenant.id).where(Tenant.name == name)).scalar()
    if found is None:
        raise NotFound(f"no tenant {name!r}; `pregonero apikey create --tenant {name}` creates it")
    return int(found)


def _view(row: Any, clock: Clock) -> CampaignView:
    """A campaign as lists show it: counts from its counters, progress, rate, ETA."""
    now = clock.at()
    counts = by_status(row)
    status = CampaignStatus(row.status)
    waiting = WaitingReason(row.waiting_reason) if row.waiting_reason else None
    figures = progress_of(
        Figures(
            status=status,
            waiting_reason=waiting,
            next_send_at=row.next_send_at,
            by_status=counts,
            sendable=row.sendable,
            invalid_at_intake=row.invalid,
            open_chunks=int(row.open_chunks),
            interval_s=clock.interval_for(row.account),
            started_at=row.started_at,
            finished_at=row.finished_at,
        ),
        now,
    )
    return CampaignView(
        id=row.id,
        tenant=row.tenant,
        account=row.account,
        name=row.name,
        status=status,
        waiting_reason=waiting,
        next_send_at=row.next_send_at,
        start_at=row.start_at,
        failure_reason=row.failure_reason,
        method=Method(row.method),
        purpose=Purpose(row.purpose),
        priority=row.priority,
        test=row.test,
        sendable=row.sendable,
        chunks=row.chunks,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        recipients=counts,
        figures=figures,
        elapsed_s=(
            round(((row.finished_at or now) - row.started_at).total_seconds(), 1)
            if row.started_at
            else None
        ),
    )


def by_status(row: Any) -> dict[RecipientStatus, int]:
    return {status: getattr(row, column.key) for status, column in COUNTERS.items()}


def _campaigns(tenant_id: int | None, *columns: Any) -> AnySelect:
    query = select(*columns).join(Tenant, Tenant.id == Campaign.tenant_id)
    return _owned(query, tenant_id)


# Built once: pages poll it every few seconds (a statement built per call costs more in
# SQLAlchemy than the database takes to answer it).
_ONE = _campaigns(None, *_DETAIL).where(Campaign.id == bindparam("campaign_id"))
_ONE_OWNED = _ONE.where(Campaign.tenant_id == bindparam("tenant_id"))


def campaign_detail(
    engine: Engine, tenant_id: int | None, campaign_id: int, clock: Clock
) -> CampaignDetailView:
    """Everything about one campaign: counts by recipient status, progress, rate, ETA."""
    with reading(engine) as conn:
        row = conn.execute(
            _ONE if tenant_id is None else _ONE_OWNED,
            {"campaign_id": campaign_id, "tenant_id": tenant_id},
        ).first()
        if row is None:
            raise _not_found(campaign_id)
        callback = (
            conn.execute(_CALLBACK, {"campaign_id": campaign_id}).first()
            if row.callback_url
            else None
        )
    return CampaignDetailView(
        campaign=_view(row, clock),
        message=row.message,
        start_at=row.start_at,
        expires_at=row.expires_at,
        callback_url=row.callback_url,
        reply_url=row.reply_url,
        replies_received=row.n_replies,
        opt_outs=row.n_opt_outs,
        encoding=row.encoding,
        segments=row.segments,
        plan=row.plan,
        idempotency_key=row.idempotency_key,
        submitted=row.submitted,
        invalid=row.invalid,
        duplicate=row.duplicate,
        suppressed=row.suppressed,
        callback=(CallbackView(DeliveryState(callback[0]), *callback[1:]) if callback else None),
        recipients_deleted_at=row.purged_at,
        recipients_deleted_because=row.purge_reason,
    )


_CALLBACK = select(
    CallbackDelivery.state,
    CallbackDelivery.attempts,
    CallbackDelivery.last_error,
    CallbackDelivery.delivered_at,
    CallbackDelivery.next_at,
).where(
    CallbackDelivery.campaign_id == bindparam("campaign_id"),
    CallbackDelivery.inbound_id.is_(None),  # the "finished" event
)


def campaign_page(
    engine: Engine,
    tenant_id: int | None,
    status: CampaignStatus | None,
    before: int | None,
    limit: int,
    clock: Clock,
    tenant: str | None = None,
    accounts: Collection[str] | None = None,
) -> tuple[list[CampaignView], int | None]:
    """Newest first, keyset-paged: pass the returned cursor as ``before``; ``tenant``
    narrows an operator's list to one tenant (by name), ``accounts`` a key limited to
    some provider accounts to their campaigns."""
    query = _campaigns(tenant_id, *_SUMMARY).order_by(Campaign.id.desc()).limit(limit + 1)
    if accounts is not None:
        query = query.where(Campaign.account.in_(list(accounts)))
    if status is not None:
        query = query.where(Campaign.status == status)
    if tenant is not None:
        query = query.where(Tenant.name == tenant)
    if before:
        query = query.where(Campaign.id < before)
    with engine.connect() as conn:
        items = [_view(r, clock) for r in conn.execute(query)]
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].id if more else None)


def operator_list(
    engine: Engine, tenant: str | None, status: CampaignStatus | None, limit: int
) -> list[CampaignLine]:
    """The newest campaigns of every tenant, for ``pregonero campaign list``."""
    query = (
        select(
            Campaign.id,
            Tenant.name.label("tenant"),
            Campaign.name,
            Campaign.status,
            Campaign.waiting_reason,
            Campaign.sendable,
            Campaign.created_at,
        )
        .join(Tenant, Tenant.id == Campaign.tenant_id)
        .order_by(Campaign.id.desc())
        .limit(limit)
    )
    if tenant:
        query = query.where(Tenant.name == tenant)
    if status is not None:
        query = query.where(Campaign.status == status)
    with engine.connect() as conn:
        return [
            CampaignLine(
                r.id,
                r.tenant,
                r.name,
                CampaignStatus(r.status),
                WaitingReason(r.waiting_reason) if r.waiting_reason else None,
                r.sendable,
                r.created_at,
            )
            for r in conn.execute(query)
        ]


# What a recipient's outcome is, in exports and reports (CSV_COLUMNS).
RECIPIENT_COLUMNS = (
    Recipient.msisdn,
    Recipient.status,
    Recipient.reason,
    Recipient.code,
    Recipient.provider_ref,
    Recipient.updated_at,
    Recipient.detail,  # why invalid, when the reason needs words (missing_field, too_long)
    Recipient.text_id,  # its text: GET /v1/campaigns/{id}/texts
)


def _recipients(campaign_id: int, status: RecipientStatus | None, after: int | None) -> AnySelect:
    query = (
        select(Recipient.n, *RECIPIENT_COLUMNS)
        .where(Recipient.campaign_id == campaign_id)
        .order_by(Recipient.n)
    )
    if status is not None:
        query = query.where(Recipient.status == status)
    if after:
        query = query.where(Recipient.n > after)
    return query


R = TypeVar("R")


def page(
    conn: Connection, query: AnySelect, limit: int, make: Callable[[Any], R]
) -> tuple[list[R], R | None]:
    """At most ``limit`` rows of an ordered query, each made into a value by ``make``,
    and the last one when there are more (the caller makes its cursor from it)."""
    rows = [make(r) for r in conn.execute(query.limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1] if more and rows else None)


def recipient_row(row: Any) -> RecipientRow:
    return RecipientRow(
        row.n,
        row.msisdn,
        RecipientStatus(row.status),
        row.reason,
        row.code,
        row.provider_ref,
        row.updated_at,
        row.detail,
        row.text_id,
    )


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A CSV as text pieces of a few thousand rows: times in ISO 8601, cells a spreadsheet
    would run escaped (``cell``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow([iso(v) if isinstance(v, datetime) else cell(v) for v in row])
        if n % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def stream(engine: Engine, query: AnySelect) -> Iterator[Sequence[Any]]:
    """Rows from a server-side cursor: memory does not grow with the result."""
    with engine.connect().execution_options(stream_results=True, yield_per=5000) as conn:
        for partition in conn.execute(query).partitions():
            yield from partition


def recipient_page(
    engine: Engine,
    tenant_id: int | None,
    campaign_id: int,
    status: RecipientStatus | None,
    after: int | None,
    limit: int,
) -> tuple[list[RecipientRow], int | None]:
    with engine.connect() as conn:
        check_kept(conn, campaign_id, tenant_id)
        items, last = page(conn, _recipients(campaign_id, status, after), limit, recipient_row)
    return items, (last.n if last else None)


def recipients_csv(
    engine: Engine, tenant_id: int | None, campaign_id: int, status: RecipientStatus | None
) -> Iterator[str]:
    """The export, streamed from a server-side cursor: checked before the first byte."""
    with engine.connect() as conn:
        check_kept(conn, campaign_id, tenant_id)
    query = _recipients(campaign_id, status, None).with_only_columns(*RECIPIENT_COLUMNS)
    return csv_lines(CSV_COLUMNS, stream(engine, query))


def text_page(
    engine: Engine, tenant_id: int | None, campaign_id: int, after: int | None, limit: int
) -> tuple[list[TextRow], int | None]:
    """A campaign's distinct texts, with how many numbers each was for (its chunks'
    sizes: a chunk holds one text)."""
    numbers = (
        select(func.coalesce(func.sum(Chunk.size), 0))
        .where(Chunk.campaign_id == campaign_id, Chunk.text_id == CampaignText.id)
        .scalar_subquery()
    )
    query = (
        select(CampaignText.id, CampaignText.text, CampaignText.encoding, CampaignText.segments)
        .add_columns(numbers.label("numbers"))
        .where(CampaignText.campaign_id == campaign_id)
        .order_by(CampaignText.id)
    )
    if after is not None:
        query = query.where(CampaignText.id > after)
    with engine.connect() as conn:
        check_kept(conn, campaign_id, tenant_id)
        items, last = page(conn, query, limit, lambda r: TextRow(*r))
    return items, (last.id if last else None)


def by_idempotency_key(engine: Engine, tenant_id: int, key: str) -> tuple[int, str] | None:
    """The campaign stored under this key, and its request's hash."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Campaign.id, Campaign.request_hash).where(
                Campaign.tenant_id == tenant_id, Campaign.idempotency_key == key
            )
        ).first()
    return None if row is None else (int(row[0]), str(row[1]))


_INTAKE = select(
    Campaign.id,
    Campaign.status,
    Campaign.submitted,
    Campaign.sendable,
    Campaign.invalid,
    Campaign.duplicate,
    Campaign.suppressed,
    Campaign.chunks,
    Campaign.encoding,
    Campaign.segments,
    Campaign.plan,
).where(Campaign.id == bindparam("campaign_id"))


def intake_answer(engine: Engine, campaign_id: int) -> StoredIntake:
    """What intake answered for a stored campaign (an idempotent replay): its counts and
    the sample of invalid numbers."""
    with engine.connect() as conn:
        row = conn.execute(_INTAKE, {"campaign_id": campaign_id}).one()
        sample = invalid_sample(conn, campaign_id) if row.invalid else []
    return StoredIntake(
        campaign_id=row.id,
        status=CampaignStatus(row.status),
        submitted=row.submitted,
        sendable=row.sendable,
        invalid=row.invalid,
        duplicate=row.duplicate,
        suppressed=row.suppressed,
        chunks=row.chunks,
        encoding=row.encoding,
        segments=row.segments,
        invalid_sample=sample,
        plan=row.plan,
    )


def invalid_sample(conn: Connection, campaign_id: int) -> list[InvalidSample]:
    """The first numbers intake refused, with their line and reason."""
    invalid = conn.execute(
        select(Recipient.line, Recipient.msisdn, Recipient.reason, Recipient.detail)
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.status == RecipientStatus.INVALID,
            Recipient.chunk_seq.is_(None),  # refused at intake, not by the provider
        )
        .order_by(Recipient.n)
        .limit(SAMPLE_SIZE)
    )
    return [
        InvalidSample(
            line=r.line,
            value=r.msisdn,
            reason=r.reason,
            detail=r.detail or REASON_TEXT.get(InvalidReason(r.reason), r.reason),
        )
        for r in invalid
    ]


def finished_campaign(engine: Engine, campaign_id: int) -> FinishedCampaign:
    """What a campaign's "finished" callback tells its backend system."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                Campaign.id,
                Campaign.name,
                Campaign.status,
                Campaign.failure_reason,
                Campaign.submitted,
                Campaign.sendable,
                Campaign.invalid,
                Campaign.duplicate,
                Campaign.suppressed,
                Campaign.started_at,
                Campaign.finished_at,
                *COUNTERS.values(),
            ).where(Campaign.id == campaign_id)
        ).one()
    return FinishedCampaign(
        id=row.id,
        name=row.name,
        status=CampaignStatus(row.status),
        failure_reason=row.failure_reason,
        submitted=row.submitted,
        sendable=row.sendable,
        invalid=row.invalid,
        duplicate=row.duplicate,
        suppressed=row.suppressed,
        started_at=row.started_at,
        finished_at=row.finished_at,
        recipients={s: n for s, n in by_status(row).items() if n},
    )


@dataclass(frozen=True)
class SystemStatus:
    """Campaigns and chunks by status, and the campaigns with uncertain recipients
    (id, how many)."""

    campaigns: dict[str, int]
    chunks: dict[str, int]
    attention: list[tuple[int, int]]


def system_status(engine: Engine) -> SystemStatus:
    with engine.connect() as conn:
        campaigns = conn.execute(select(Campaign.status, func.count()).group_by(Campaign.status))
        chunks = conn.execute(select(Chunk.status, func.count()).group_by(Chunk.status))
        attention = conn.execute(
            select(Campaign.id, Campaign.n_uncertain)
            .where(Campaign.n_uncertain > 0)
            .order_by(Campaign.id)
        )
        return SystemStatus(
            {str(s): int(n) for s, n in campaigns},
            {str(s): int(n) for s, n in chunks},
            [(int(i), int(n)) for i, n in attention],
        )
