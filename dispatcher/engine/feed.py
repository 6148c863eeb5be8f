"""The feeder (DESIGN §5.1): publish ``ready`` chunks, keeping only ``FEED_DEPTH`` per
account in the broker, by priority and then round-robin across campaigns — so a small
urgent campaign never waits behind a million-number one, and a pause leaves almost
nothing in the broker.  Safe to run twice at once (two beats, a nudge during a beat):
one feeder at a time holds an advisory lock, and ``SKIP LOCKED`` and conditional
UPDATEs do the rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine

from dispatcher.accounts import configured_accounts
from dispatcher.engine.ports import Publish
from dispatcher.settings import Settings
from dispatcher.store import accounts, chunks, feeding
from dispatcher.store.rows import QueuedChunk


def feed(engine: Engine, settings: Settings, now: datetime, publish: Publish) -> list[QueuedChunk]:
    """Publish up to FEED_DEPTH chunks per unpaused account; return their ids."""
    picked: list[QueuedChunk] = []
    with engine.begin() as conn:
        if not feeding.try_lock(conn):
            return picked  # another feeder is at it right now
        configured = {a.name for a in configured_accounts(settings)}
        for account in accounts.unpaused(conn):
            if account in configured:  # one removed from the settings has no credentials
                picked += _feed_account(conn, settings, account, now)
    for chunk in picked:  # after commit: a crash here leaves ``queued`` chunks the sweeper finds
        publish(chunk)
    return picked


def _feed_account(
    conn: Connection, settings: Settings, account: str, now: datetime
) -> list[QueuedChunk]:
    room = settings.feed_depth - feeding.queued(conn, account)
    if room <= 0:
        return []
    by_priority: dict[int, list[int]] = {}
    for candidate in feeding.candidates(conn, account, now):
        window = settings.window_for(candidate.purpose)
        if window.is_open(now):
            by_priority.setdefault(candidate.priority, []).append(candidate.campaign_id)
        else:
            chunks.wait_for_window(conn, candidate.campaign_id, window.next_open(now))
    picked: list[QueuedChunk] = []
    for priority in sorted(by_priority, reverse=True):
        active = by_priority[priority]
        while active and room > 0:  # one chunk per campaign per pass: round-robin
            for campaign_id in list(active):
                if room <= 0:
                    break
                chunk = feeding.take_one(conn, campaign_id, now)
                if chunk is None:
                    active.remove(campaign_id)
                    continue
                picked.append(chunk)
                room -= 1
    return picked
