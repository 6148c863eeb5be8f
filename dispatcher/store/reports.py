"""Reports by date range: what happened to each number, the totals the provider will
charge, and what people replied.

A recipient is reported on the instant of its latest change (``updated_at``).  The
campaigns to read are found first (``ix_campaign_tenant_id_updated_at``: a campaign's
``updated_at`` moves with each change of its recipients), then their recipients through
the primary key: no index on recipients is needed, so intake's COPY stays as fast.
Streams use a server-side cursor: memory does not grow with the report."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, Literal

from sqlalchemy import Engine, and_, func, select, tuple_

from dispatcher.domain.period import Period
from dispatcher.domain.status import RecipientStatus
from dispatcher.store.reads import (
    CSV_COLUMNS,
    RECIPIENT_COLUMNS,
    AnySelect,
    check_owner,
    csv_lines,
    page,
    stream,
)
from dispatcher.store.rows import InboundRow, OutcomeRow, SummaryRow
from dispatcher.store.tables import Campaign, InboundMessage, Recipient

OUTCOME_COLUMNS = ("campaign_id", *CSV_COLUMNS)
INBOUND_COLUMNS = ("id", "received_at", "msisdn", "text", "campaign_id", "account", "opt_out")
SUMMARY_COUNTS = ("submitted", *(s.value for s in RecipientStatus), "segments")
Group = Literal["day", "campaign"]


Accounts = Collection[str] | None  # a key's --accounts: only their campaigns (None: all)


def _in_period(period: Period, tenant_id: int | None, accounts: Accounts = None) -> Any:
    """Campaigns whose recipients may have changed in the period, and those recipients."""
    condition = and_(
        Campaign.created_at < period.end,
        Campaign.updated_at >= period.start,
        Recipient.campaign_id == Campaign.id,
        Recipient.updated_at >= period.start,
        Recipient.updated_at < period.end,
    )
    if accounts is not None:
        condition = and_(Campaign.account.in_(list(accounts)), condition)
    return condition if tenant_id is None else and_(Campaign.tenant_id == tenant_id, condition)


_OUTCOME = (Recipient.campaign_id, *RECIPIENT_COLUMNS)


def _outcomes(
    period: Period, tenant_id: int | None, *extra: Any, accounts: Accounts = None
) -> AnySelect:
    return (
        select(*_OUTCOME, *extra)
        .select_from(Campaign)
        .join(Recipient, _in_period(period, tenant_id, accounts))
        .order_by(Recipient.campaign_id, Recipient.n)
    )


def outcomes_page(
    engine: Engine,
    period: Period,
    tenant_id: int | None,
    after: tuple[int, int] | None,
    limit: int,
    accounts: Accounts = None,
) -> tuple[list[OutcomeRow], tuple[int, int] | None]:
    query = _outcomes(period, tenant_id, Recipient.n, accounts=accounts)
    if after is not None:
        query = query.where(tuple_(Recipient.campaign_id, Recipient.n) > after)
    with engine.connect() as conn:
        rows, last = page(conn, query, limit, _outcome)
    return rows, ((last.campaign_id, last.n) if last else None)


def _outcome(r: Any) -> OutcomeRow:
    status = RecipientStatus(r.status)
    return OutcomeRow(
        r.campaign_id, r.n, r.msisdn, status, r.reason, r.code, r.provider_ref, r.updated_at
    )


def outcomes_csv(
    engine: Engine, period: Period, tenant_id: int | None, accounts: Accounts = None
) -> Iterator[str]:
    query = _outcomes(period, tenant_id, accounts=accounts)
    return csv_lines(OUTCOME_COLUMNS, stream(engine, query))


def summary(
    engine: Engine,
    period: Period,
    tenant_id: int | None,
    group: Group,
    tz: str,
    accounts: Accounts = None,
) -> list[SummaryRow]:
    """Recipients by status (each counted once, on its latest change) and the segments
    the provider charges (accepted numbers times the message's segments)."""
    status = Recipient.status
    counts = [
        func.count().label("submitted"),
        *(func.count().filter(status == s).label(s.value) for s in RecipientStatus),
        func.coalesce(
            func.sum(Campaign.segments).filter(status == RecipientStatus.ACCEPTED), 0
        ).label("segments"),
    ]
    if group == "day":
        day = func.date(func.timezone(tz, Recipient.updated_at)).label("day")
        keys: list[Any] = [day]
    else:
        keys = [Campaign.id.label("campaign_id"), Campaign.name.label("campaign_name")]
    query = (
        select(*keys, *counts)
        .select_from(Campaign)
        .join(Recipient, _in_period(period, tenant_id, accounts))
        .group_by(*keys)
        .order_by(*keys)
    )
    with engine.connect() as conn:
        return [
            SummaryRow(
                day=r.day if group == "day" else None,
                campaign_id=r.campaign_id if group == "campaign" else None,
                campaign_name=r.campaign_name if group == "campaign" else None,
                counts={k: int(getattr(r, k)) for k in SUMMARY_COUNTS},
            )
            for r in conn.execute(query)
        ]


def _inbound(
    period: Period, tenant_id: int | None, attributed: bool | None, accounts: Accounts = None
) -> AnySelect:
    query = select(
        InboundMessage.id,
        InboundMessage.at.label("received_at"),
        InboundMessage.msisdn,
        InboundMessage.text,
        InboundMessage.campaign_id,
        InboundMessage.account,
        InboundMessage.opt_out,
    ).where(InboundMessage.at >= period.start, InboundMessage.at < period.end)
    if tenant_id is not None:  # a tenant sees the replies to its campaigns
        query = query.join(Campaign, Campaign.id == InboundMessage.campaign_id).where(
            Campaign.tenant_id == tenant_id
        )
    if accounts is not None:
        query = query.where(InboundMessage.account.in_(list(accounts)))
    if attributed is not None:
        query = query.where(
            InboundMessage.campaign_id.is_not(None)
            if attributed
            else InboundMessage.campaign_id.is_(None)
        )
    return query.order_by(InboundMessage.id)


def inbound_page(
    engine: Engine,
    period: Period,
    tenant_id: int | None,
    attributed: bool | None,
    after: int | None,
    limit: int,
    accounts: Accounts = None,
) -> tuple[list[InboundRow], int | None]:
    query = _inbound(period, tenant_id, attributed, accounts)
    if after is not None:
        query = query.where(InboundMessage.id > after)
    with engine.connect() as conn:
        rows, last = page(conn, query, limit, lambda r: InboundRow(*r))
    return rows, (last.id if last else None)


def inbound_csv(
    engine: Engine,
    period: Period,
    tenant_id: int | None,
    attributed: bool | None,
    accounts: Accounts = None,
) -> Iterator[str]:
    query = _inbound(period, tenant_id, attributed, accounts)
    return csv_lines(INBOUND_COLUMNS, stream(engine, query))


def campaign_replies(
    engine: Engine, tenant_id: int | None, campaign_id: int, after: int | None, limit: int
) -> tuple[list[InboundRow], int | None]:
    query = (
        select(
            InboundMessage.id,
            InboundMessage.at.label("received_at"),
            InboundMessage.msisdn,
            InboundMessage.text,
            InboundMessage.campaign_id,
            InboundMessage.account,
            InboundMessage.opt_out,
            InboundMessage.recipient_n,
        )
        .where(InboundMessage.campaign_id == campaign_id)
        .order_by(InboundMessage.id)
    )
    if after is not None:
        query = query.where(InboundMessage.id > after)
    with engine.connect() as conn:
        check_owner(conn, campaign_id, tenant_id)
        rows, last = page(conn, query, limit, lambda r: InboundRow(*r))
    return rows, (last.id if last else None)
