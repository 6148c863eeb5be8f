"""A submission made once: the same ``Idempotency-Key`` with the same request answers
what the first one stored, without storing again; with another request it is refused.
Counts what intake stored for /metrics."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from prometheus_client import Counter
from sqlalchemy import Engine

from dispatcher.domain.status import CampaignStatus
from dispatcher.errors import Conflict
from dispatcher.intake.spec import CampaignSpec
from dispatcher.intake.submit import IntakeResult, submit
from dispatcher.settings import Settings
from dispatcher.store import reads
from dispatcher.store.rows import StoredIntake

CAMPAIGNS_SUBMITTED = Counter("pregonero_campaigns_submitted_total", "Campaigns stored by intake")
RECIPIENTS_SUBMITTED = Counter(
    "pregonero_recipients_submitted_total", "Numbers received by intake", ["outcome"]
)


@dataclass(frozen=True)
class Submitted:
    """What intake stored (now, or for the first request with the same key)."""

    stored: StoredIntake
    replayed: bool  # True: an earlier request with this key stored it
    result: IntakeResult | None = None  # this request's own intake, when not replayed


def submit_once(
    engine: Engine,
    settings: Settings,
    tenant_id: int,
    spec: CampaignSpec,
    numbers: Iterable[tuple[int, str]],
    *,
    request_hash: str,
    idempotency_key: str | None = None,
    strict: bool = False,
    allowed_accounts: Collection[str] | None = None,
) -> Submitted:
    """``intake.submit``, once per tenant and ``idempotency_key``."""
    if idempotency_key and (stored := _stored(engine, tenant_id, idempotency_key, request_hash)):
        return Submitted(stored, replayed=True)
    try:
        result = submit(
            engine,
            settings,
            tenant_id,
            spec,
            numbers,
            request_hash=request_hash,
            idempotency_key=idempotency_key,
            strict=strict,
            allowed_accounts=allowed_accounts,
        )
    except Conflict:  # the same key, committed by a concurrent request
        if not idempotency_key:
            raise
        stored = _stored(engine, tenant_id, idempotency_key, request_hash)
        if stored is None:
            raise
        return Submitted(stored, replayed=True)
    _count(result)
    return Submitted(as_stored(result), replayed=False, result=result)


def _stored(engine: Engine, tenant_id: int, key: str, request_hash: str) -> StoredIntake | None:
    found = reads.by_idempotency_key(engine, tenant_id, key)
    if found is None:
        return None
    campaign_id, stored_hash = found
    if stored_hash != request_hash:
        raise Conflict(
            f"Idempotency-Key {key!r} was used for campaign {campaign_id} with a different body; "
            "use a new key for a new campaign"
        )
    return reads.intake_answer(engine, campaign_id)


def as_stored(result: IntakeResult) -> StoredIntake:
    c = result.counts
    return StoredIntake(
        campaign_id=result.campaign_id if result.stored else None,
        status=CampaignStatus.SCHEDULED,
        submitted=c.submitted,
        sendable=c.sendable,
        invalid=c.invalid,
        duplicate=c.duplicate,
        suppressed=c.suppressed,
        chunks=result.chunks,
        encoding=result.encoding,
        segments=result.segments,
        invalid_sample=result.invalid_sample,
        reached_today=result.reached_today,
        plan=result.plan,
    )


def _count(result: IntakeResult) -> None:
    CAMPAIGNS_SUBMITTED.inc()
    for outcome in ("sendable", "invalid", "duplicate", "suppressed"):
        RECIPIENTS_SUBMITTED.labels(outcome).inc(getattr(result.counts, outcome))
