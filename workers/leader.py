"""One beat schedules; others wait on standby (docs/architecture.md, "Decisions").

Each beat asks for the lease (a Postgres advisory lock, ``dispatcher.store.lease``)
every few seconds.  The one holding it runs the schedule (the balance poll) and the
housekeeper's chores; the others do neither until the holder's connection goes away (it
died, or lost its host) and one of them takes the lease: within ``RETRY_S``."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery.beat import PersistentScheduler

from dispatcher.store.lease import BeatLease

log = logging.getLogger(__name__)
RETRY_S = 5.0  # a standby asks this often; a leader re-checks its connection as often

_lock = threading.Lock()
_lease: BeatLease | None = None
_state: dict[str, Any] = {"held": None, "asked_at": 0.0}  # None: not asked yet


def is_leader() -> bool:
    """Whether this beat holds the lease (asked at most every RETRY_S)."""
    global _lease
    with _lock:
        now = time.monotonic()
        if _state["held"] is not None and now - _state["asked_at"] < RETRY_S:
            return bool(_state["held"])  # asked lately
        if _lease is None:
            from workers.runtime import runtime

            _lease = BeatLease(runtime().engine)
        held = _lease.held()
        if held != _state["held"]:  # said when it changes, and at the first ask
            log.warning(
                "beat: %s",
                "holding the lease, scheduling"
                if held
                else "another beat holds the lease: on standby",
            )
        _state.update(held=held, asked_at=now)
        return held


class LeaderScheduler(PersistentScheduler):  # type: ignore[misc]
    """Celery's scheduler, sending only while this beat holds the lease."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not is_leader():
            return RETRY_S
        return float(super().tick(*args, **kwargs))
