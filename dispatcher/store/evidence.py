"""A campaign's evidence for an inspection (``GET /v1/campaigns/{id}/evidence``): one
row per number, with when it was handed to the provider and the provider's reference,
the purpose, the window and Ley 2300 rule that applied, and the exclusion lists checked
with their dates (the campaign's ``checks``, written at intake)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, and_, case, literal, select

from dispatcher.domain.status import RecipientStatus
from dispatcher.store.reads import check_kept, csv_lines, stream
from dispatcher.store.tables import Campaign, Chunk, Recipient

COLUMNS = (
    "n", "number", "status", "reason", "code", "handed_to_provider_at", "provider_ref",
    "purpose", "window", "ley_2300_hours", "contact_limit", "lists_checked",
)  # fmt: skip
_ITS_CHUNK = and_(Chunk.campaign_id == Recipient.campaign_id, Chunk.seq == Recipient.chunk_seq)
_SENT = (RecipientStatus.ACCEPTED, RecipientStatus.REJECTED, RecipientStatus.UNCERTAIN)


def _rules(checks: dict[str, Any] | None) -> tuple[str, str, str, str]:
    """The campaign's rules as cells; a campaign stored before checks says so."""
    if not checks:
        before = "not recorded (stored before evidence was kept)"
        return before, before, before, before
    lists = "; ".join(f"{x['name']} (taken {x['taken_at']})" for x in checks["lists"]) or "none"
    return (
        checks["window_applied"],
        checks["ley_2300_hours"] or "does not apply to this purpose",
        checks["contact_limit"],
        lists,
    )


def evidence_csv(engine: Engine, tenant_id: int | None, campaign_id: int) -> Iterator[str]:
    """The CSV, streamed; checked (owner, kept) before the first byte."""
    with engine.connect() as conn:
        check_kept(conn, campaign_id, tenant_id)
        purpose, checks = conn.execute(
            select(Campaign.purpose, Campaign.checks).where(Campaign.id == campaign_id)
        ).one()
    window, hours, limit, lists = _rules(checks)
    query = (
        select(
            Recipient.n,
            Recipient.msisdn,
            Recipient.status,
            Recipient.reason,
            Recipient.code,
            case((Recipient.status.in_(_SENT), Chunk.claimed_at)),
            Recipient.provider_ref,
            literal(purpose),
            literal(window),
            literal(hours),
            literal(limit),
            literal(lists),
        )
        .outerjoin(Chunk, _ITS_CHUNK)
        .where(Recipient.campaign_id == campaign_id)
        .order_by(Recipient.n)
    )
    return csv_lines(COLUMNS, stream(engine, query))
