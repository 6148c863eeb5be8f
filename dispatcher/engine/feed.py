"""The feeder (docs/architecture.md, "Recovery"): publish ``ready`` chunks, keeping only
``FEED_DEPTH`` per account in the broker, by priority and then round-robin across
campaigns — so a small urgent campaign never waits behind a million-number one, and a
pause leaves almost nothing in the broker.  Safe to run twice at once (two beats, a
nudge during a beat): one feeder at a time holds an advisory lock, and ``SKIP LOCKED``
and conditional UPDATEs do the rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine

from dispatcher.accounts import configured_accounts
from dispatcher.domain.status import Purpose
from dispatcher.engine.ports import Publish
from dispatcher.settings import Settings
from dispatcher.store import chunks, feeding
from dispatcher.store.rows import QueuedChunk

# Campaigns put to sleep per tick when their window shuts: bounded, so one tick stays
# short; the rest follow on the next ticks, and none of them stands in the way meanwhile.
SLEEP_BATCH = 200


def feed(engine: Engine, settings: Settings, now: datetime, publish: Publish) -> list[QueuedChunk]:
    """Publish up to FEED_DEPTH chunks per unpaused account; return their ids."""
    picked: list[QueuedChunk] = []
    configured = {a.name for a in configured_accounts(settings)}
    with engine.begin() as conn:
        # None when another feeder is at it right now.
        for account, queued in feeding.accounts_to_feed(conn):
            if account in configured:  # one removed from the settings has no credentials
                room = settings.feed_depth - queued
                picked += feed_account(conn, settings, account, room, now)
    for chunk in picked:  # after commit: a crash here leaves ``queued`` chunks the sweeper finds
        publish(chunk)
    return picked


def feed_account(
    conn: Connection, settings: Settings, account: str, room: int, now: datetime
) -> list[QueuedChunk]:
    """Up to ``room`` chunks of the account, by priority and round-robin."""
    if room <= 0:
        return []
    # The window is decided per purpose, in the query: thousands of campaigns whose
    # window is shut cannot fill the first places and keep the open ones waiting.
    windows = {purpose: settings.window_for(purpose) for purpose in Purpose}
    shut = [purpose for purpose, window in windows.items() if not window.is_open(now)]
    for candidate in feeding.candidates(conn, account, now, shut, limit=SLEEP_BATCH):
        opens = windows[candidate.purpose].next_open(now)
        chunks.wait_for_window(conn, candidate.campaign_id, opens)
    by_priority: dict[int, list[int]] = {}
    open_now = [purpose for purpose in Purpose if purpose not in shut]
    # A few more than the room: some lose a race with another feeder or a cancel.
    for candidate in feeding.candidates(conn, account, now, open_now, limit=2 * room):
        by_priority.setdefault(candidate.priority, []).append(candidate.campaign_id)
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
