"""Retention (docs/architecture.md, "Retention and the recipient table"): the recipient
rows, texts and replies of campaigns finished more than their tenant's retention ago
(``tenant.retention_days``, else RETENTION_DAYS) are deleted; so are replies no campaign
claimed, after RETENTION_DAYS, and Ley 2300's reservations of periods long past.  The
campaign row stays with its counters, its plan and its checks, so the reports' figures
stay; its recipient export then answers 410 saying when and why (``purged_at``,
``purge_reason``).

A partition of the recipient table whose every campaign is due is detached and dropped
whole (no row is read).  A due campaign in a partition that is not is deleted in
batches of ``BATCH`` rows by primary key, each in its own short transaction: a finished
campaign's rows are locked by nobody else, and no lock a send takes is held.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce

from sqlalchemy import Connection, Engine, and_, delete, exists, func, select, text, update
from sqlalchemy.sql.elements import ColumnElement

from dispatcher.domain.status import CAMPAIGN_FINAL
from dispatcher.errors import Conflict
from dispatcher.store import partitions
from dispatcher.store.tables import (
    COUNTERS,
    Campaign,
    CampaignText,
    DailyContact,
    InboundMessage,
    Recipient,
    ReplyTarget,
    Tenant,
)

BATCH = 50_000
_LOCK = 0x726574656E74  # pg_advisory_lock key: one retention run at a time


class Busy(Conflict):
    """Another retention run holds the lock."""


# The rows a campaign stored: every recipient is counted in exactly one status.
_ROWS = reduce(operator.add, COUNTERS.values())


@dataclass(frozen=True)
class Due:
    campaign_id: int
    tenant: str
    finished_at: datetime
    days: int
    rows: int


@dataclass
class Swept:
    """What a run deleted (or, dry, would delete)."""

    dry_run: bool
    campaigns: list[Due] = field(default_factory=list)
    rows: int = 0
    partitions_dropped: list[str] = field(default_factory=list)
    batches: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "campaigns": len(self.campaigns),
            "rows": self.rows,
            "partitions_dropped": self.partitions_dropped,
            "batches": self.batches,
        }


def _days(default_days: int) -> ColumnElement[int]:
    return func.coalesce(Tenant.retention_days, default_days)


def _is_due(now: datetime, default_days: int) -> ColumnElement[bool]:
    return and_(
        Campaign.status.in_(CAMPAIGN_FINAL),
        Campaign.purged_at.is_(None),
        Campaign.finished_at.is_not(None),
        Campaign.finished_at < now - func.make_interval(0, 0, 0, _days(default_days)),
    )


def due(conn: Connection, now: datetime, default_days: int) -> list[Due]:
    """The finished campaigns past their retention whose rows are still here."""
    rows = conn.execute(
        select(Campaign.id, Tenant.name, Campaign.finished_at, _days(default_days), _ROWS)
        .join(Tenant, Tenant.id == Campaign.tenant_id)
        .where(_is_due(now, default_days))
        .order_by(Campaign.id)
    ).all()
    return [Due(int(c), str(t), at, int(days), int(n)) for c, t, at, days, n in rows if at]


def reason(d: Due, now: datetime) -> str:
    return (
        f"deleted by retention on {now:%Y-%m-%d}: the campaign finished on "
        f"{d.finished_at:%Y-%m-%d}, and {d.tenant}'s campaigns keep their recipients "
        f"{d.days} days"
    )


def _in(lo: int, hi: int) -> ColumnElement[bool]:
    return and_(Campaign.id >= lo, Campaign.id < hi)


# A campaign id is handed out before its intake commits: a partition is dropped only
# when a campaign above it was created longer ago than any intake lasts.
SETTLED = timedelta(hours=1)


def _droppable(
    conn: Connection, part: partitions.Partition, due_ids: set[int], now: datetime
) -> bool:
    """Every campaign id of the partition was handed out long ago (no intake can still be
    writing one), and each of its campaigns is due or already purged."""
    later = conn.execute(
        select(exists().where(Campaign.id >= part.hi, Campaign.created_at < now - SETTLED))
    ).scalar()
    if not later:
        return False
    held = conn.execute(
        select(Campaign.id).where(_in(part.lo, part.hi), Campaign.purged_at.is_(None))
    ).scalars()
    return all(int(c) in due_ids for c in held)


def _forget(conn: Connection, ids: list[int], now: datetime, why: dict[int, str]) -> None:
    """Replies, texts and reply targets of these campaigns go; each is marked purged."""
    conn.execute(delete(InboundMessage).where(InboundMessage.campaign_id.in_(ids)))
    conn.execute(delete(ReplyTarget).where(ReplyTarget.campaign_id.in_(ids)))
    conn.execute(delete(CampaignText).where(CampaignText.campaign_id.in_(ids)))
    for cid in ids:
        conn.execute(
            update(Campaign).where(Campaign.id == cid).values(purged_at=now, purge_reason=why[cid])
        )


# Ley 2300's reservations are read only for the current period (a week at most).
CONTACTS_KEPT = timedelta(days=14)


def _loose_ends(conn: Connection, now: datetime, default_days: int) -> None:
    """What belongs to no campaign: contact reservations of periods long past, and
    replies no campaign claimed, after RETENTION_DAYS."""
    conn.execute(delete(DailyContact).where(DailyContact.day < (now - CONTACTS_KEPT).date()))
    conn.execute(
        delete(InboundMessage).where(
            InboundMessage.campaign_id.is_(None),
            InboundMessage.at < now - timedelta(days=default_days),
        )
    )


def run(
    engine: Engine,
    now: datetime,
    default_days: int,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Swept:
    """Delete what is due at ``now``; ``dry_run``: only say what would go.  One run at a
    time (beat's daily task, an operator's command): another finds Busy."""
    with engine.connect() as conn:
        todo = due(conn, now, default_days)
        parts = partitions.listed(conn)
    swept = Swept(dry_run, todo, sum(d.rows for d in todo))
    if dry_run:
        return swept
    with engine.connect() as guard:
        if not guard.execute(text(f"SELECT pg_try_advisory_lock({_LOCK})")).scalar():
            raise Busy("another retention run is going on; try again when it has finished")
        try:
            return _sweep(engine, now, default_days, todo, parts, swept, progress)
        finally:
            guard.execute(text(f"SELECT pg_advisory_unlock({_LOCK})"))
            guard.commit()


def _sweep(
    engine: Engine,
    now: datetime,
    default_days: int,
    todo: list[Due],
    parts: list[partitions.Partition],
    swept: Swept,
    progress: Callable[[str], None] | None,
) -> Swept:
    say = progress or (lambda _: None)
    with engine.begin() as conn:
        _loose_ends(conn, now, default_days)
    if not todo:
        return swept
    by_id = {d.campaign_id: d for d in todo}
    why = {d.campaign_id: reason(d, now) for d in todo}
    left = set(by_id)
    for part in parts:
        with engine.begin() as conn:
            if not _droppable(conn, part, set(by_id), now):
                continue
            ids = [c for c in left if part.lo <= c < part.hi]
            _forget(conn, ids, now, why)
        partitions.drop(engine, part)
        left.difference_update(ids)
        swept.partitions_dropped.append(part.name)
        say(f"dropped {part.name} (campaigns {max(part.lo, 0)}-{part.hi - 1})")
    for cid in sorted(left):
        with engine.connect() as conn:
            top = conn.execute(
                select(func.max(Recipient.n)).where(Recipient.campaign_id == cid)
            ).scalar()
        start = 0
        while top is not None and start < top:
            with engine.begin() as conn:
                conn.execute(
                    delete(Recipient).where(
                        Recipient.campaign_id == cid,
                        Recipient.n > start,
                        Recipient.n <= start + BATCH,
                    )
                )
            start += BATCH
            swept.batches += 1
        with engine.begin() as conn:
            _forget(conn, [cid], now, why)
        say(f"campaign {cid}: {by_id[cid].rows:,} rows deleted")
    return swept


def set_tenant_days(conn: Connection, tenant: str, days: int | None) -> bool:
    changed = conn.execute(
        update(Tenant).where(Tenant.name == tenant).values(retention_days=days)
    ).rowcount
    return bool(changed)
