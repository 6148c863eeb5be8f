"""Beat's periodic work on the outbox (docs/architecture.md, "Recovery"): release what is
due, re-publish what seems lost, reap what a dead worker left, expire, finish.  Each is
one transaction, safe to run twice at once.  An operator's requeue is ``engine.steer``."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from dispatcher.accounts import configured_accounts
from dispatcher.engine.ports import Publish
from dispatcher.settings import Settings
from dispatcher.store import campaigns, chunks, steering
from dispatcher.store.rows import QueuedChunk

log = logging.getLogger(__name__)


def release_due(engine: Engine, now: datetime) -> int:
    """Deferred chunks whose time has come go back to ``ready``."""
    with engine.begin() as conn:
        return chunks.release_due(conn, now)


def sweep(
    engine: Engine, settings: Settings, publish: Publish, *, broker_lost: bool = False
) -> list[QueuedChunk]:
    """Re-publish ``queued`` chunks whose message seems lost (every one of them when the
    broker is known to have lost its queues); duplicates are no-ops at the claim."""
    with engine.begin() as conn:
        stale = chunks.republish_stale(conn, 0.0 if broker_lost else settings.sweep_after_s)
    for chunk in stale:
        publish(chunk)
    if stale:
        why = "the broker restarted empty" if broker_lost else "their message seemed lost"
        log.warning("re-published %d queued chunks: %s", len(stale), why)
    return stale


def reap(engine: Engine, settings: Settings) -> int:
    """Chunks left ``sending`` past the request lease become uncertain."""
    with engine.begin() as conn:
        lost = chunks.reap(conn, settings.request_lease_s)
    if lost:
        log.error("%d chunks were left sending by a lost worker: now uncertain", lost)
    return lost


def expire(engine: Engine, now: datetime) -> int:
    """Numbers not sent by ``expires_at`` are cancelled with reason ``expired``."""
    with engine.begin() as conn:
        return sum(steering.expire(conn, c) for c in steering.due_to_expire(conn, now))


def settle_waiting(engine: Engine, settings: Settings, now: datetime) -> int:
    """Campaigns say what they wait for: an account not configured here (beat's
    PREGONERO_ACCOUNTS), and those none of whose chunks may go now (Ley 2300's next period,
    the window).  How many changed."""
    configured = [a.name for a in configured_accounts(settings)]
    with engine.begin() as conn:
        changed = campaigns.unconfigured_accounts_wait(conn, configured, now)
        if changed:
            log.warning("%d campaigns changed: their account is (or is again) configured", changed)
        unsettled = campaigns.unsettled(conn, now)
        for campaign_id in unsettled:
            campaigns.settle_waiting(conn, campaign_id, now)
    return changed + len(unsettled)


def finish_all(engine: Engine) -> int:
    """Complete running campaigns with nothing left to send (a safety net: the chunk
    that closes last completes its campaign itself)."""
    with engine.begin() as conn:
        ids = campaigns.running_without_open_chunks(conn)
        return sum(campaigns.complete_if_done(conn, i) for i in ids)
