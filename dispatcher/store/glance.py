"""What the operator page (/ui) reads beyond the JSON API: a campaign's blocks per minute,
its uncertain blocks, one number's record and replies, the blocks in flight per account,
the latest replies.  Small indexed reads; a campaign's are checked against the tenant
first, like every read in ``reads``."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from dispatcher.domain.status import ChunkStatus
from dispatcher.store.reads import RECIPIENT_COLUMNS, check_owner, recipient_row
from dispatcher.store.rows import InboundRow, RecipientRow
from dispatcher.store.tables import Campaign, Chunk, InboundMessage, Recipient, Tenant

CHART_MIN, CHART_MAX = 10, 60  # minutes a chart spans


@dataclass(frozen=True)
class Minute:
    at: datetime  # the minute's start
    blocks: int  # requests started in it


@dataclass(frozen=True)
class UncertainBlock:
    seq: int
    size: int
    claimed_at: datetime | None
    http_status: int | None
    error: str | None


def blocks_per_minute(
    engine: Engine,
    tenant_id: int | None,
    campaign_id: int,
    since: datetime | None,
    until: datetime,
) -> list[Minute]:
    """Requests started per minute from ``since`` (its start) to ``until``: every minute
    present, zeros included, oldest first; at least ``CHART_MIN`` minutes, at most the
    last ``CHART_MAX``.  At most a pace's worth of rows a minute."""
    end = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    span = math.ceil((end - since).total_seconds() / 60) if since else 0
    count = min(max(span, CHART_MIN), CHART_MAX)
    start = end - timedelta(minutes=count)
    with engine.connect() as conn:
        check_owner(conn, campaign_id, tenant_id)
        starts = conn.execute(
            select(Chunk.claimed_at).where(
                Chunk.campaign_id == campaign_id,
                Chunk.claimed_at >= start,
                Chunk.claimed_at < end,
            )
        ).scalars()
        counts = [0] * count
        for at in filter(None, starts):
            counts[int((at - start).total_seconds() // 60)] += 1
    return [Minute(start + timedelta(minutes=i), n) for i, n in enumerate(counts)]


def uncertain_blocks(
    engine: Engine, tenant_id: int | None, campaign_id: int, limit: int = 50
) -> list[UncertainBlock]:
    with engine.connect() as conn:
        check_owner(conn, campaign_id, tenant_id)
        rows = conn.execute(
            select(Chunk.seq, Chunk.size, Chunk.claimed_at, Chunk.http_status, Chunk.error)
            .where(Chunk.campaign_id == campaign_id, Chunk.status == ChunkStatus.UNCERTAIN)
            .order_by(Chunk.seq)
            .limit(limit)
        ).all()
    return [UncertainBlock(*row) for row in rows]


@dataclass(frozen=True)
class Reply:
    at: datetime
    text: str
    opt_out: bool


@dataclass(frozen=True)
class NumberRecord:
    recipients: list[RecipientRow]  # the number's rows in the campaign (a duplicate: two)
    replies: list[Reply]  # what it answered to this campaign, newest first


def number_record(
    engine: Engine, tenant_id: int | None, campaign_id: int, msisdn: str
) -> NumberRecord:
    """One number in a campaign: its outcome and its replies.  Reads the campaign's rows
    in key order (no index on numbers: a look-up, not a hot path)."""
    with engine.connect() as conn:
        check_owner(conn, campaign_id, tenant_id)
        recipients = conn.execute(
            select(Recipient.n, *RECIPIENT_COLUMNS)
            .where(Recipient.campaign_id == campaign_id, Recipient.msisdn == msisdn)
            .order_by(Recipient.n)
            .limit(10)
        ).all()
        replies = conn.execute(
            select(InboundMessage.at, InboundMessage.text, InboundMessage.opt_out)
            .where(InboundMessage.campaign_id == campaign_id, InboundMessage.msisdn == msisdn)
            .order_by(InboundMessage.id.desc())
            .limit(50)
        ).all()
    return NumberRecord([recipient_row(r) for r in recipients], [Reply(*r) for r in replies])


def in_flight(engine: Engine) -> dict[str, int]:
    """Blocks at the provider now (claimed, not yet answered), per account."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Campaign.account, func.count())
            .select_from(Chunk)
            .join(Campaign, Campaign.id == Chunk.campaign_id)
            .where(Chunk.status == ChunkStatus.SENDING)
            .group_by(Campaign.account)
        ).all()
    return {str(account): int(n) for account, n in rows}


def latest_replies(engine: Engine, tenant_id: int | None, limit: int) -> list[InboundRow]:
    """The newest replies (a tenant: those to its campaigns), with their campaign's name."""
    query = (
        select(
            InboundMessage.id,
            InboundMessage.at,
            InboundMessage.msisdn,
            InboundMessage.text,
            InboundMessage.campaign_id,
            InboundMessage.account,
            InboundMessage.opt_out,
            InboundMessage.recipient_n,
            Campaign.name.label("campaign"),
        )
        .outerjoin(Campaign, Campaign.id == InboundMessage.campaign_id)
        .order_by(InboundMessage.id.desc())
        .limit(limit)
    )
    if tenant_id is not None:
        query = query.where(Campaign.tenant_id == tenant_id)
    with engine.connect() as conn:
        return [InboundRow(*r) for r in conn.execute(query)]


def opt_outs_since(engine: Engine, tenant_id: int | None, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(InboundMessage)
        .where(InboundMessage.opt_out, InboundMessage.at >= since)
    )
    if tenant_id is not None:
        query = query.join(Campaign, Campaign.id == InboundMessage.campaign_id).where(
            Campaign.tenant_id == tenant_id
        )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def tenant_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(Tenant.name).order_by(Tenant.name)).scalars())


def tenants_by_id(engine: Engine, ids: Collection[int]) -> dict[int, str]:
    """The names of these tenants (an operator's suppression list says whose)."""
    if not ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(ids))).all()
    return {int(i): str(name) for i, name in rows}


@dataclass(frozen=True)
class NumberInCampaign:
    campaign_id: int
    campaign: str
    tenant: str
    account: str
    campaign_status: str
    test: bool
    created_at: datetime
    status: str
    reason: str | None
    detail: str | None
    code: int | None
    provider_ref: str | None
    updated_at: datetime


@dataclass(frozen=True)
class NumberReply:
    at: datetime
    campaign_id: int | None
    text: str
    opt_out: bool


HISTORY_LIMIT = 200


def number_history(
    engine: Engine,
    tenant_id: int | None,
    accounts: Collection[str] | None,
    msisdn: str,
    limit: int | None = HISTORY_LIMIT,
) -> tuple[list[NumberInCampaign], list[NumberReply]]:
    """Every campaign that had a number (newest first) and its replies: an operator's
    across every tenant, a tenant's within its own campaigns (and a key's ``--accounts``).
    A look-up, not a hot path: ``recipient`` has no index on numbers (intake's COPY is
    kept fast), so this reads the tenant's campaigns' rows."""
    query = (
        select(
            Campaign.id,
            Campaign.name,
            Tenant.name,
            Campaign.account,
            Campaign.status,
            Campaign.test,
            Campaign.created_at,
            Recipient.status,
            Recipient.reason,
            Recipient.detail,
            Recipient.code,
            Recipient.provider_ref,
            Recipient.updated_at,
        )
        .join(Campaign, Campaign.id == Recipient.campaign_id)
        .join(Tenant, Tenant.id == Campaign.tenant_id)
        .where(Recipient.msisdn == msisdn)
        .order_by(Campaign.id.desc(), Recipient.n)
        .limit(limit)
    )
    replies = (
        select(
            InboundMessage.at,
            InboundMessage.campaign_id,
            InboundMessage.text,
            InboundMessage.opt_out,
        )
        .where(InboundMessage.msisdn == msisdn)
        .order_by(InboundMessage.id.desc())
        .limit(limit)
    )
    if tenant_id is not None:
        query = query.where(Campaign.tenant_id == tenant_id)
        replies = replies.join(Campaign, Campaign.id == InboundMessage.campaign_id).where(
            Campaign.tenant_id == tenant_id
        )
    if accounts is not None:
        query = query.where(Campaign.account.in_(accounts))
    with engine.connect() as conn:
        found = [NumberInCampaign(*tuple(row)) for row in conn.execute(query).all()]
        answered = [NumberReply(*row) for row in conn.execute(replies).all()]
    return found, answered
