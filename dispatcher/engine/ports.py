"""The ports the core needs from the outside, so the core never imports Celery or Redis:
a limiter (workers/limiter.py: Redis, or its in-memory twin), a clock, a publisher, and
an observer of each send (workers/metrics.py: Prometheus; by default nothing)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

from dispatcher.domain.plan import BlockPlan
from dispatcher.store.rows import QueuedChunk

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Publish = Callable[[QueuedChunk], None]  # send_chunk(chunk.id) into the broker


class Observer(Protocol):
    """What a send tells whoever counts: figures labelled by account only (and by the
    plan's verdict and each number's outcome and code), never a campaign or a number."""

    def waited_for_slot(self, account: str, seconds: float) -> None: ...

    def provider_answered(self, account: str, seconds: float) -> None: ...

    def block_recorded(self, account: str, plan: BlockPlan) -> None: ...


class Unobserved:
    """The observer when nobody counts (tests, the CLI)."""

    def waited_for_slot(self, account: str, seconds: float) -> None:
        pass

    def provider_answered(self, account: str, seconds: float) -> None:
        pass

    def block_recorded(self, account: str, plan: BlockPlan) -> None:
        pass


class Guarded:
    """An observer whose failures never reach a send: a figure lost is logged, and the
    block goes on (it may be between its claim and its request)."""

    def __init__(self, inner: Observer):
        self.inner = inner

    def _call(self, what: str, *args: object) -> None:
        try:
            getattr(self.inner, what)(*args)
        except Exception as exc:
            log.warning("could not count %s: %s: %s", what, type(exc).__name__, exc)

    def waited_for_slot(self, account: str, seconds: float) -> None:
        self._call("waited_for_slot", account, seconds)

    def provider_answered(self, account: str, seconds: float) -> None:
        self._call("provider_answered", account, seconds)

    def block_recorded(self, account: str, plan: BlockPlan) -> None:
        self._call("block_recorded", account, plan)


class Limiter(Protocol):
    """One request start per interval per account, and at most N requests in flight."""

    def reserve(self, account: str, spacing_s: float) -> float:
        """Reserve the next start slot; return the seconds to wait for it."""

    def start(self, account: str, spacing_s: float) -> float:
        """A request is about to start: record it; the seconds to wait first when the
        previous one left late (after its slot), so starts never come closer."""

    def acquire(self, account: str, token: str, max_in_flight: int, lease_s: float) -> float:
        """Take an in-flight place: 0.0 when taken, else seconds to wait before retrying."""

    def release(self, account: str, token: str) -> None:
        """Give the in-flight place back (a lease frees it anyway if we die)."""


# An in-flight place is leased for this long and renewed while its request is out, so a
# killed worker's place frees within about this long (not after the whole request lease).
PLACE_LEASE_S = 10.0


class _Heartbeat:
    """Renews an in-flight place's lease while the request is out."""

    def __init__(self, limiter: Limiter, account: str, token: str, max_in_flight: int):
        self._limiter, self._account, self._token = limiter, account, token
        self._max = max_in_flight
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{token}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(PLACE_LEASE_S / 3):
            try:
                self._limiter.acquire(self._account, self._token, self._max, PLACE_LEASE_S)
            except Exception:  # Redis away: the lease may lapse; spacing is kept apart
                log.warning("could not renew an in-flight place", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)


@contextmanager
def slot(
    limiter: Limiter,
    account: str,
    token: str,
    *,
    spacing_s: float,
    max_in_flight: int,
    sleep: Callable[[float], None] = time.sleep,
    still_wanted: Callable[[], bool] = lambda: True,
) -> Iterator[bool]:
    """Hold an in-flight place and wait for our start slot; the body must start the
    request at once (one indexed UPDATE at most in between, then ``on_time``).

    ``still_wanted`` is asked when we had to wait for the in-flight place, before a
    start slot is taken: a duplicate message whose chunk went out meanwhile then costs
    no slot.  (Without a wait, the chunk was read a moment ago: the claim's own check is
    enough.)  The body receives False in that case and must not send.  Giving the place
    back never fails the send: when Redis is away, its lease frees it."""
    waited = False
    while (retry_s := limiter.acquire(account, token, max_in_flight, PLACE_LEASE_S)) > 0:
        waited = True
        sleep(retry_s)
    heartbeat = _Heartbeat(limiter, account, token, max_in_flight)
    try:
        if waited and not still_wanted():
            yield False
            return
        wait_s = limiter.reserve(account, spacing_s)
        if wait_s > 0:
            sleep(wait_s)
        yield True
    finally:
        heartbeat.stop()
        try:
            limiter.release(account, token)
        except Exception:  # the answer in hand matters more: it is recorded next
            log.warning("could not give an in-flight place back; its lease frees it", exc_info=True)


def on_time(
    limiter: Limiter,
    account: str,
    spacing_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Right before the request: a previous request that left late (its worker was slow
    to wake or to claim) must not bring this one closer than the spacing."""
    wait_s = limiter.start(account, spacing_s)
    if wait_s > 0:
        sleep(wait_s)
