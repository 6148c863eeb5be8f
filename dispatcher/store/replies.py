"""Replies: where they belong, what they change, and their forwarding.

A reply is stored with the campaign that last reached the number by a two-way message
(``reply_target``, written when the provider accepts the number) within
``REPLY_ATTRIBUTION_DAYS``.  An opt-out puts the number on the suppression list of the
account it came through in the same transaction, so no later block sends to it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, any_, bindparam, exists, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert

from dispatcher.domain.plan import Settle
from dispatcher.domain.replies import Reply
from dispatcher.domain.status import DeliveryState, Reason, RecipientStatus, SuppressionSource
from dispatcher.domain.times import iso
from dispatcher.store import suppressions
from dispatcher.store.rows import ChunkRef
from dispatcher.store.tables import (
    CallbackDelivery,
    Campaign,
    InboundMessage,
    Recipient,
    ReplyTarget,
    Tenant,
)

REPLY_EVENT = "reply.received"
SAME_REPLY_WITHIN = timedelta(minutes=1)

# Built once: every accepted two-way block runs it.
_ROWS: Any = select(
    bindparam("account"), Recipient.msisdn, Recipient.campaign_id, Recipient.n
).where(
    Recipient.campaign_id == bindparam("campaign_id"),
    Recipient.n.between(bindparam("lo"), bindparam("hi")),
    Recipient.n == any_(bindparam("ns", type_=ARRAY(Integer))),
)
_NEW = insert(ReplyTarget).from_select(["account", "msisdn", "campaign_id", "n"], _ROWS)
_REMEMBER = _NEW.on_conflict_do_update(
    index_elements=[ReplyTarget.account, ReplyTarget.msisdn],
    set_={"campaign_id": _NEW.excluded.campaign_id, "n": _NEW.excluded.n, "at": func.now()},
)


def remember_targets(
    conn: Connection, account: str, chunk: ChunkRef, outcomes: Sequence[Settle]
) -> None:
    """The numbers of a two-way block the provider accepted: a reply from one of them
    belongs to this campaign (the latest one to reach it through the account)."""
    ns = [s.n for s in outcomes if s.status is RecipientStatus.ACCEPTED]
    if ns:
        params = {"account": account, "campaign_id": chunk.campaign_id, "ns": ns}
        conn.execute(_REMEMBER, {**params, "lo": min(ns), "hi": max(ns)})


@dataclass(frozen=True, slots=True)
class Stored:
    id: int | None  # None: the same reply was stored less than a minute ago
    campaign_id: int | None
    account: str | None
    opt_out: bool
    suppressed_on: tuple[str, ...]
    forwarded: bool


def record(
    conn: Connection,
    reply: Reply,
    *,
    account: str | None,
    opt_out: bool,
    attribution_days: int,
    all_accounts: Sequence[str],
) -> Stored:
    """Store a reply once, attribute it, apply an opt-out and queue its forwarding, in
    the caller's transaction.  ``account`` is the one named in the URL, if any."""
    # One reply of a number at a time: the duplicate check below cannot race.
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(reply.msisdn))))
    duplicate = conn.execute(
        select(
            exists().where(
                InboundMessage.msisdn == reply.msisdn,
                InboundMessage.text == reply.text,
                InboundMessage.at > func.now() - SAME_REPLY_WITHIN,
            )
        )
    ).scalar()
    if duplicate:
        return Stored(None, None, account, opt_out, (), False)
    target = _target(conn, reply.msisdn, account, attribution_days)
    if target is not None:
        account = target.account
    message_id = conn.execute(
        insert(InboundMessage)
        .values(
            msisdn=reply.msisdn,
            text=reply.text,
            account=account,
            campaign_id=target.campaign_id if target else None,
            recipient_n=target.n if target else None,
            opt_out=opt_out,
        )
        .returning(InboundMessage.id, InboundMessage.at)
    ).one()
    suppressed_on: tuple[str, ...] = ()
    if opt_out:
        # The account it came through; when that cannot be known, every account: a
        # person who asked to stop is never sent to again by mistake.
        suppressed_on = (account,) if account else tuple(all_accounts)
        suppressions.add(
            conn,
            suppressed_on,
            [reply.msisdn],
            reason=Reason.OPTED_OUT,
            source=SuppressionSource.REPLY,
            by=f"reply {message_id.id}",
        )
    forwarded = False
    if target is not None:
        conn.execute(
            update(Campaign)
            .where(Campaign.id == target.campaign_id)
            .values(
                n_replies=Campaign.n_replies + 1,
                n_opt_outs=Campaign.n_opt_outs + int(opt_out),
            )
        )
        forwarded = _forward(conn, target, message_id.id, message_id.at, reply, opt_out)
    campaign_id = target.campaign_id if target else None
    return Stored(message_id.id, campaign_id, account, opt_out, suppressed_on, forwarded)


@dataclass(frozen=True, slots=True)
class _Target:
    account: str
    campaign_id: int
    n: int
    tenant_id: int
    name: str
    url: str | None


def _target(conn: Connection, msisdn: str, account: str | None, days: int) -> _Target | None:
    query = (
        select(
            ReplyTarget.account,
            ReplyTarget.campaign_id,
            ReplyTarget.n,
            Campaign.tenant_id,
            Campaign.name,
            func.coalesce(Campaign.reply_url, Tenant.reply_url).label("url"),
        )
        .join(Campaign, Campaign.id == ReplyTarget.campaign_id)
        .join(Tenant, Tenant.id == Campaign.tenant_id)
        .where(
            ReplyTarget.msisdn == msisdn,
            ReplyTarget.at > func.now() - timedelta(days=days),
        )
        .order_by(ReplyTarget.at.desc())
        .limit(1)
    )
    if account is not None:
        query = query.where(ReplyTarget.account == account)
    row = conn.execute(query).first()
    return None if row is None else _Target(*row)


def _forward(
    conn: Connection, target: _Target, message_id: int, at: datetime, reply: Reply, opt_out: bool
) -> bool:
    """Queue the signed POST to the campaign's (or its tenant's) reply URL."""
    if not target.url:
        return False
    event_id = uuid.uuid4().hex
    body: dict[str, Any] = {
        "event": REPLY_EVENT,
        "event_id": event_id,
        "reply_id": message_id,
        "campaign_id": target.campaign_id,
        "campaign_name": target.name,
        "msisdn": reply.msisdn,
        "text": reply.text,
        "opt_out": opt_out,
        "received_at": iso(at),
    }
    conn.execute(
        insert(CallbackDelivery).values(
            id=event_id,
            tenant_id=target.tenant_id,
            campaign_id=target.campaign_id,
            inbound_id=message_id,
            event=REPLY_EVENT,
            url=target.url,
            body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            state=DeliveryState.PENDING,
        )
    )
    return True
