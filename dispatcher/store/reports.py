"""Reports by date range: what happened to each number, the totals the provider will
charge, and what people replied.

A recipient is reported on the instant of its latest change (``updated_at``).  The
campaigns to read are found first (``ix_campaign_tenant_id_updated_at``: a campaign's
``updated_at`` moves with each change of its recipients), then their recipients through
the primary key, in the partitions that hold them: no index on recipients is needed, so
intake's COPY stays as fast, and years of history are not read.
Streams use a server-side cursor: memory does not grow with the report."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    and_,
    any_,
    bindparam,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY

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


def _campaigns(
    conn: Connection, period: Period, tenant_id: int | None, accounts: Accounts = None
) -> list[int]:
    """The campaigns whose recipients may have changed in the period."""
    query = select(Campaign.id).where(
        Campaign.created_at < period.end, Campaign.updated_at >= period.start
    )
    if accounts is not None:
        query = query.where(Campaign.account.in_(list(accounts)))
    if tenant_id is not None:
        query = query.where(Campaign.tenant_id == tenant_id)
    return [int(c) for c in conn.execute(query).scalars()]


def _in_period(period: Period, campaign_ids: list[int]) -> Any:
    """Their recipients changed in the period.  The ids are a list the statement carries
    (not a join): Postgres then reads only the partitions that hold those campaigns, by
    their primary key, however many partitions of history there are."""
    return and_(
        Recipient.campaign_id == any_(bindparam("campaign_ids", campaign_ids, ARRAY(BigInteger))),
        Recipient.campaign_id == Campaign.id,
        Recipient.updated_at >= period.start,
        Recipient.updated_at < period.end,
    )


_OUTCOME = (Recipient.campaign_id, *RECIPIENT_COLUMNS)


def _outcomes(period: Period, campaign_ids: list[int], *extra: Any) -> AnySelect:
    return (
        select(*_OUTCOME, *extra)
        .select_from(Recipient)
        .join(Campaign, _in_period(period, campaign_ids))
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
    with engine.connect() as conn:
        query = _outcomes(period, _campaigns(conn, period, tenant_id, accounts), Recipient.n)
        if after is not None:
            query = query.where(tuple_(Recipient.campaign_id, Recipient.n) > after)
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
    with engine.connect() as conn:
        query = _outcomes(period, _campaigns(conn, period, tenant_id, accounts))
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
    with engine.connect() as conn:
        query = (
            select(*keys, *counts)
            .select_from(Recipient)
            .join(Campaign, _in_period(period, _campaigns(conn, period, tenant_id, accounts)))
            .group_by(*keys)
            .order_by(*keys)
        )
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
