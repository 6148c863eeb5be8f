"""The outbox side of DESIGN §5.1 and the periodic work of §5.5.

The feeder publishes ``ready`` chunks, keeping only ``FEED_DEPTH`` per account in the
broker, by priority and then round-robin across campaigns — so a small urgent campaign
never waits behind a million-number one, and a pause leaves almost nothing in the
broker.  Every function here is safe to run twice at once (two beats, a nudge during a
beat): conditional UPDATEs, ``SKIP LOCKED`` and a transaction-scoped advisory lock.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection, Engine, text

from dispatcher.campaigns import cancel_open_work
from dispatcher.chunks import OPEN, defer_closed_window, finish_campaign, in_chunk
from dispatcher.ports import Publish
from dispatcher.settings import Settings

log = logging.getLogger(__name__)
FEED_LOCK = 0x5052_4547  # "PREG": one feeder at a time across all hosts


def _candidates(conn: Connection, account: str, now: datetime) -> list[tuple[int, str, int]]:
    rows = conn.execute(
        text(
            "SELECT k.id, k.purpose, k.priority FROM campaign k "
            "WHERE k.account = :a AND k.status IN ('scheduled', 'running') "
            "AND (k.start_at IS NULL OR k.start_at <= :now) "
            "AND (k.expires_at IS NULL OR k.expires_at > :now) "
            "AND EXISTS (SELECT 1 FROM chunk c WHERE c.campaign_id = k.id AND c.status = 'ready' "
            "AND (c.not_before IS NULL OR c.not_before <= :now)) "
            "ORDER BY k.priority DESC, k.last_fed_at ASC NULLS FIRST, k.id"
        ),
        {"a": account, "now": now},
    ).all()
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


def _take_one(conn: Connection, campaign_id: int, now: datetime) -> int | None:
    chunk_id = conn.execute(
        text(
            "SELECT id FROM chunk WHERE campaign_id = :c AND status = 'ready' "
            "AND (not_before IS NULL OR not_before <= :now) ORDER BY seq LIMIT 1 "
            "FOR UPDATE SKIP LOCKED"
        ),
        {"c": campaign_id, "now": now},
    ).scalar()
    if chunk_id is None:
        return None
    # Guarded: a pause committed since the candidates were read must win (READ COMMITTED
    # re-checks the condition on the newest row version).
    running = conn.execute(
        text(
            "UPDATE campaign SET last_fed_at = clock_timestamp(), waiting_reason = NULL, "
            "next_send_at = NULL, status = 'running', started_at = coalesce(started_at, now()), "
            "updated_at = now() WHERE id = :c AND status IN ('scheduled', 'running')"
        ),
        {"c": campaign_id},
    ).rowcount
    if not running:
        return None
    conn.execute(
        text(
            "UPDATE chunk SET status = 'queued', published_at = now(), waiting_reason = NULL "
            "WHERE id = :id"
        ),
        {"id": chunk_id},
    )
    return int(chunk_id)


def feed(engine: Engine, settings: Settings, now: datetime, publish: Publish) -> list[int]:
    """Publish up to FEED_DEPTH chunks per unpaused account; return their ids."""
    picked: list[int] = []
    with engine.begin() as conn:
        if not conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": FEED_LOCK}
        ).scalar():
            return picked  # another feeder is at it right now
        accounts = (
            conn.execute(text("SELECT name FROM provider_account WHERE NOT paused ORDER BY name"))
            .scalars()
            .all()
        )
        for account in accounts:
            picked += _feed_account(conn, settings, str(account), now)
    for chunk_id in picked:  # after commit: a crash here leaves 'queued' chunks the sweeper finds
        publish(chunk_id)
    return picked


def _feed_account(conn: Connection, settings: Settings, account: str, now: datetime) -> list[int]:
    queued = conn.execute(
        text(
            "SELECT count(*) FROM chunk c JOIN campaign k ON k.id = c.campaign_id "
            "WHERE k.account = :a AND c.status = 'queued'"
        ),
        {"a": account},
    ).scalar_one()
    room = settings.feed_depth - int(queued)
    picked: list[int] = []
    if room <= 0:
        return picked
    campaigns = []
    for campaign_id, purpose, priority in _candidates(conn, account, now):
        window = settings.window_for(purpose)
        if window.is_open(now):
            campaigns.append((campaign_id, priority))
        else:
            defer_closed_window(conn, campaign_id, window, now, chunk_status="ready")
    for level in sorted({p for _c, p in campaigns}, reverse=True):
        active = [c for c, p in campaigns if p == level]
        while active and room > 0:  # one chunk per campaign per pass: round-robin
            for campaign_id in list(active):
                if room <= 0:
                    break
                chunk_id = _take_one(conn, campaign_id, now)
                if chunk_id is None:
                    active.remove(campaign_id)
                    continue
                picked.append(chunk_id)
                room -= 1
    return picked


def release_due(engine: Engine, now: datetime) -> int:
    """Deferred chunks whose time has come go back to ``ready``."""
    with engine.begin() as conn:
        released = (
            conn.execute(
                text(
                    "UPDATE chunk SET status = 'ready', not_before = NULL, waiting_reason = NULL "
                    "WHERE status = 'deferred' AND not_before <= :now RETURNING campaign_id"
                ),
                {"now": now},
            )
            .scalars()
            .all()
        )
        if released:
            conn.execute(
                text(
                    "UPDATE campaign SET waiting_reason = NULL, next_send_at = NULL "
                    "WHERE id = ANY(:ids) AND waiting_reason = 'window'"
                ),
                {"ids": sorted(set(released))},
            )
    return len(released)


def sweep(engine: Engine, settings: Settings, publish: Publish) -> list[int]:
    """Re-publish ``queued`` chunks whose message seems lost; duplicates are no-ops."""
    with engine.begin() as conn:
        ids = (
            conn.execute(
                text(
                    "UPDATE chunk SET published_at = now() WHERE status = 'queued' "
                    "AND published_at < now() - make_interval(secs => :after) RETURNING id"
                ),
                {"after": settings.sweep_after_s},
            )
            .scalars()
            .all()
        )
    for chunk_id in ids:
        publish(int(chunk_id))
    if ids:
        log.warning("re-published %d queued chunks whose message seemed lost", len(ids))
    return [int(i) for i in ids]


def reap(engine: Engine, settings: Settings) -> int:
    """A chunk left ``sending`` past the longest possible request lost its worker: what
    it sent cannot be known, so it and its numbers become uncertain."""
    with engine.begin() as conn:
        lost = conn.execute(
            text(
                "UPDATE chunk SET status = 'uncertain', finished_at = now(), "
                "error = 'the worker was lost during the request' WHERE status = 'sending' "
                "AND claimed_at < now() - make_interval(secs => :lease) "
                "RETURNING campaign_id, seq, n_lo, n_hi"
            ),
            {"lease": settings.request_lease_s},
        ).all()
        for campaign_id, seq, lo, hi in lost:
            conn.execute(
                text(
                    "UPDATE recipient SET status = 'uncertain', reason = 'worker_lost', "
                    f"updated_at = now() WHERE {in_chunk()} AND status = 'pending'"
                ),
                {"c": campaign_id, "seq": seq, "lo": lo, "hi": hi},
            )
            finish_campaign(conn, campaign_id)
    if lost:
        log.error("%d chunks were left sending by a lost worker: now uncertain", len(lost))
    return len(lost)


def expire(engine: Engine, now: datetime) -> int:
    """Numbers not sent by ``expires_at`` are cancelled with reason ``expired``."""
    with engine.begin() as conn:
        ids = (
            conn.execute(
                text(
                    "SELECT id FROM campaign WHERE status IN ('scheduled', 'running', 'paused') "
                    "AND expires_at <= :now FOR UPDATE SKIP LOCKED"
                ),
                {"now": now},
            )
            .scalars()
            .all()
        )
        total = 0
        for campaign_id in ids:
            total += cancel_open_work(conn, campaign_id, "expired")
            conn.execute(
                text(
                    "UPDATE campaign SET status = 'running', "
                    "started_at = coalesce(started_at, now()) "
                    "WHERE id = :c AND status IN ('scheduled', 'paused')"
                ),
                {"c": campaign_id},
            )
            finish_campaign(conn, campaign_id)
    return total


def finish_all(engine: Engine) -> int:
    with engine.begin() as conn:
        ids = (
            conn.execute(
                text(
                    "SELECT k.id FROM campaign k WHERE k.status = 'running' AND NOT EXISTS "
                    f"(SELECT 1 FROM chunk c WHERE c.campaign_id = k.id AND c.status IN {OPEN})"
                )
            )
            .scalars()
            .all()
        )
        return sum(finish_campaign(conn, int(i)) for i in ids)


def requeue_uncertain(engine: Engine, campaign_id: int, tenant_id: int | None = None) -> int:
    """The operator's decision: send the uncertain numbers of a campaign again."""
    with engine.begin() as conn:
        owner = "AND tenant_id = :t" if tenant_id is not None else ""
        found = conn.execute(
            text(f"SELECT status FROM campaign WHERE id = :c {owner} FOR UPDATE"),
            {"c": campaign_id, "t": tenant_id},
        ).scalar()
        if found is None:
            from dispatcher.errors import NotFound

            raise NotFound(f"campaign {campaign_id} does not exist")
        chunks = conn.execute(
            text(
                "UPDATE chunk SET status = 'ready', published_at = NULL, finished_at = NULL "
                "WHERE campaign_id = :c AND status = 'uncertain' RETURNING seq, n_lo, n_hi"
            ),
            {"c": campaign_id},
        ).all()
        moved = 0
        for seq, lo, hi in chunks:
            moved += conn.execute(
                text(
                    "UPDATE recipient SET status = 'pending', reason = NULL, code = NULL, "
                    f"updated_at = now() WHERE {in_chunk()} AND status = 'uncertain'"
                ),
                {"c": campaign_id, "seq": seq, "lo": lo, "hi": hi},
            ).rowcount
        if chunks and found in ("completed", "failed"):
            conn.execute(
                text("UPDATE campaign SET status = 'running', finished_at = NULL WHERE id = :c"),
                {"c": campaign_id},
            )
    return moved
