"""Callback deliveries: one row per event, claimed by one deliverer at a time.  Rows are
made when a campaign with a ``callback_url`` has finished; the body is fixed then, so
every attempt sends the same bytes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from dispatcher.domain.status import CAMPAIGN_FINAL, DeliveryState
from dispatcher.domain.times import iso
from dispatcher.store.reads import finished_campaign
from dispatcher.store.rows import FinishedCampaign
from dispatcher.store.tables import CallbackDelivery, Campaign, Tenant

FINISHED = "campaign.finished"
GIVE_UP_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    campaign_id: int
    url: str
    body: str
    attempts: int
    secret: str
    created_at: datetime
    tenant_id: int = 0


def enqueue_finished(engine: Engine, limit: int = 100) -> int:
    """One delivery for each finished campaign with a callback URL that has none yet."""
    with engine.connect() as conn:
        ids = (
            conn.execute(
                select(Campaign.id)
                .where(
                    Campaign.callback_url.is_not(None),
                    Campaign.status.in_(CAMPAIGN_FINAL),
                    Campaign.finished_at > func.now() - GIVE_UP_AFTER,
                    ~exists().where(
                        CallbackDelivery.campaign_id == Campaign.id,
                        CallbackDelivery.event == FINISHED,
                    ),
                )
                .order_by(Campaign.finished_at)
                .limit(limit)
            )
            .scalars()
            .all()
        )
    made = 0
    for campaign_id in ids:
        event_id = uuid.uuid4().hex
        body: dict[str, Any] = {"event": FINISHED, "event_id": event_id}
        body.update(_body(finished_campaign(engine, campaign_id)))
        with engine.begin() as conn:
            tenant_id, url = conn.execute(
                select(Campaign.tenant_id, Campaign.callback_url).where(Campaign.id == campaign_id)
            ).one()
            made += conn.execute(
                insert(CallbackDelivery)
                .values(
                    id=event_id,
                    tenant_id=tenant_id,
                    campaign_id=campaign_id,
                    event=FINISHED,
                    url=url,
                    body=json.dumps(body, default=str, separators=(",", ":")),
                    state=DeliveryState.PENDING,
                )
                .on_conflict_do_nothing()  # another beat made it meanwhile
            ).rowcount
    return made


_CLAIMABLE = or_(
    (CallbackDelivery.state == DeliveryState.PENDING) & (CallbackDelivery.next_at <= func.now()),
    # a deliverer that died mid-request: its claim has run out
    (CallbackDelivery.state == DeliveryState.DELIVERING)
    & (CallbackDelivery.claimed_until < func.now()),
)


def due_count(conn: Connection) -> int:
    """How many deliveries a run would take now."""
    query = select(func.count()).select_from(CallbackDelivery).where(_CLAIMABLE)
    return int(conn.execute(query).scalar_one())


def claim_next(
    conn: Connection, lease_s: float, busy_tenants: Collection[int] = ()
) -> Delivery | None:
    """The next due delivery, claimed for ``lease_s``: no other deliverer takes it.  Not
    one of ``busy_tenants``' (their receivers are being called): one slow receiver
    holds back only its own tenant."""
    due = (
        select(CallbackDelivery.id)
        .where(_CLAIMABLE, CallbackDelivery.tenant_id.not_in(list(busy_tenants)))
        .order_by(CallbackDelivery.next_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = conn.execute(
        update(CallbackDelivery)
        .where(CallbackDelivery.id == due)
        .values(
            state=DeliveryState.DELIVERING,
            claimed_until=func.now() + timedelta(seconds=lease_s),
            attempts=CallbackDelivery.attempts + 1,
        )
        .returning(
            CallbackDelivery.id,
            CallbackDelivery.campaign_id,
            CallbackDelivery.url,
            CallbackDelivery.body,
            CallbackDelivery.attempts,
            CallbackDelivery.tenant_id,
            CallbackDelivery.created_at,
        )
    ).first()
    if row is None:
        return None
    secret = conn.execute(
        select(Tenant.callback_secret).where(Tenant.id == row.tenant_id)
    ).scalar_one()
    return Delivery(
        row.id,
        row.campaign_id,
        row.url,
        row.body,
        row.attempts,
        secret,
        row.created_at,
        row.tenant_id,
    )


def delivered(conn: Connection, delivery_id: str) -> None:
    conn.execute(
        update(CallbackDelivery)
        .where(CallbackDelivery.id == delivery_id)
        .values(state=DeliveryState.DELIVERED, delivered_at=func.now(), last_error=None)
    )


def not_delivered(conn: Connection, delivery: Delivery, error: str, retry_in_s: float) -> None:
    """Try again in ``retry_in_s``, or give up when the event is a day old."""
    too_old = CallbackDelivery.created_at < func.now() - GIVE_UP_AFTER
    conn.execute(
        update(CallbackDelivery)
        .where(CallbackDelivery.id == delivery.id)
        .values(
            state=case((too_old, DeliveryState.FAILED.value), else_=DeliveryState.PENDING.value),
            next_at=func.now() + timedelta(seconds=retry_in_s),
            claimed_until=None,
            last_error=error[:1000],
        )
    )


def _body(campaign: FinishedCampaign) -> dict[str, Any]:
    """The "finished" event's fields, as its receiver reads them (times in ISO 8601)."""
    fields = {
        name: (iso(value) if isinstance(value, datetime) else value)
        for name, value in asdict(campaign).items()
        if name != "recipients"
    }
    return {**fields, "recipients": {s.value: n for s, n in campaign.recipients.items()}}
