"""Beat's housekeeping, run beside beat without a task per tick (docs/architecture.md,
"Recovery"): feed, release what is due, sweep, reap, finish, expire, probe after
maintenance, and hand due callbacks to a worker.  Flower's task list then shows sends,
callback runs and the balance poll, not thousands of ticks.

The feeder also wakes when work is announced (intake and resumes ``NOTIFY`` on commit),
so a one-number campaign's request starts within a fraction of a second.  Each chore is
safe to run twice at once (two beats): advisory locks, ``SKIP LOCKED`` and conditional
UPDATEs, as when they were tasks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from dispatcher.engine import balance, feed, recover
from dispatcher.engine.ports import Clock, Publish
from dispatcher.settings import Settings
from dispatcher.store import callbacks, feeding, partitions

log = logging.getLogger(__name__)

# Beat's housekeeper (workers/housekeeper.py) counts each chore's runs in this Redis hash:
# field ``<chore>`` the runs, ``<chore>:at`` the Unix time of the last, ``<chore>:did``
# what the last did.  The tests and a person's ``redis-cli HGETALL`` read it.
HOUSEKEEPING_KEY = "pregonero:housekeeping"

# How long the loop waits after the database could not be reached, doubling to a minute.
RETRY_FIRST_S, RETRY_MAX_S = 1.0, 60.0


@dataclass
class Chore:
    name: str
    every_s: float
    run: Callable[[], int]  # how many things it did (chunks published, released, ...)
    due_at: float = 0.0  # time.monotonic(); 0: at once
    runs: int = 0


Record = Callable[[str, int], None]  # (chore, what it did) after each run
BROKER_CHECK_S = 2.0  # how soon a broker that restarted empty is noticed


@dataclass
class Housekeeper:
    engine: Engine
    settings: Settings
    clock: Clock
    publish: Publish
    deliver_callbacks: Callable[[], None]  # a callback run on a worker (a task)
    record: Record = lambda chore, did: None
    # True once after the broker lost its queues (a Redis that keeps nothing restarted):
    # every queued chunk is published again at once instead of after SWEEP_AFTER_S.
    broker_lost: Callable[[], bool] = lambda: False
    # Whether this beat holds the lease: a beat on standby runs no chore.
    leader: Callable[[], bool] = lambda: True
    monotonic: Callable[[], float] = time.monotonic
    chores: list[Chore] = field(init=False)

    def __post_init__(self) -> None:
        s, engine = self.settings, self.engine
        self.chores = [
            Chore("release_due", 5.0, lambda: recover.release_due(engine, self.clock())),
            Chore("feed", s.feed_every_s, self._feed),
            Chore("sweep", max(1.0, s.sweep_after_s / 4), lambda: len(self._sweep())),
            Chore("reap", max(1.0, s.request_lease_s / 4), lambda: recover.reap(engine, s)),
            Chore("finish", 10.0, lambda: recover.finish_all(engine)),
            Chore("settle", 5.0, lambda: recover.settle_waiting(engine, s, self.clock())),
            Chore("expire", 30.0, lambda: recover.expire(engine, self.clock())),
            Chore("probe_maintenance", 30.0, lambda: balance.probe_maintenance(engine, s)),
            Chore("callbacks", 5.0, self._callbacks),
            Chore("broker", BROKER_CHECK_S, self._broker),
            Chore("partitions", 60.0, self._partitions),
        ]

    def _feed(self) -> int:
        return len(feed.feed(self.engine, self.settings, self.clock(), self.publish))

    def _sweep(self) -> list[object]:
        return list(recover.sweep(self.engine, self.settings, self.publish))

    def _broker(self) -> int:
        if not self.broker_lost():
            return 0
        return len(recover.sweep(self.engine, self.settings, self.publish, broker_lost=True))

    def _partitions(self) -> int:
        """The recipient table's next partition exists before intake needs it."""
        partitions.ensure_ahead(self.engine)
        return 0

    def _callbacks(self) -> int:
        """Deliveries are made here; a worker is asked to deliver only when one is due."""
        callbacks.enqueue_finished(self.engine)
        with self.engine.connect() as conn:
            due = callbacks.due_count(conn)
        if due:
            self.deliver_callbacks()
        return due

    def run_due(self, only: str | None = None) -> float:
        """Run the chores that are due (or ``only`` that one, now); seconds until the
        next is due."""
        now = self.monotonic()
        for chore in self.chores:
            if chore.name == only or (only is None and chore.due_at <= now):
                did = chore.run()
                chore.runs += 1
                chore.due_at = self.monotonic() + chore.every_s
                self.record(chore.name, did)
        return max(0.0, min(c.due_at for c in self.chores) - self.monotonic())

    def run_forever(self, stop: threading.Event, listener: feeding.ReadyListener) -> None:
        """Until ``stop`` is set: chores when due, the feeder at once when work is
        announced.  A database out of reach is one log line per try, with backoff."""
        failures = 0
        while not stop.is_set():
            try:
                if not self.leader():  # on standby: ask again soon
                    stop.wait(1.0)
                    continue
                wait_s = self.run_due()
                if listener.wait(wait_s):
                    self.run_due(only="feed")
                if failures:
                    log.warning("housekeeping: the database answers again")
                failures = 0
            except Exception as exc:
                failures += 1
                pause = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (failures - 1))
                log.error("housekeeping failed (%s); trying again in %g s", _one_line(exc), pause)
                stop.wait(pause)
        listener.close()


def _one_line(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
