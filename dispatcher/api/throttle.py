"""Failed sign-ins and unknown API keys, counted per client address: past ``LIMIT`` in
``WINDOW_S``, the address gets 429 with ``Retry-After`` until its oldest failure is a
window old, so keys cannot be guessed at speed.  Kept in the API process's memory (each
process counts its own), at most ``MAX_ADDRESSES`` addresses."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.requests import Request

from dispatcher.api.problems import ApiProblem

LIMIT = 20
WINDOW_S = 60.0
MAX_ADDRESSES = 10_000


class FailureThrottle:
    """At most ``limit`` events a ``window_s`` per key (an address, a tenant)."""

    def __init__(
        self,
        limit: int = LIMIT,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._limit, self._window_s, self._clock = limit, window_s, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        horizon = self._clock() - self._window_s
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures

    def retry_after(self, client: str) -> int | None:
        """Seconds this address must wait, or None when it may try."""
        failures = self._recent(client)
        if len(failures) < self._limit:
            return None
        return max(1, math.ceil(failures[0] + self._window_s - self._clock()))

    def failed(self, client: str) -> None:
        failures = self._failures.setdefault(client, deque(maxlen=self._limit))
        failures.append(self._clock())
        self._failures.move_to_end(client)
        while len(self._failures) > MAX_ADDRESSES:
            self._failures.popitem(last=False)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def throttle_of(request: Request) -> FailureThrottle:
    throttle: FailureThrottle | None = getattr(request.app.state, "failures", None)
    if throttle is None:
        throttle = request.app.state.failures = FailureThrottle()
    return throttle


def too_many(why: str, wait: int) -> ApiProblem:
    """A 429 that says why and when to try again (``Retry-After``)."""
    error = ApiProblem(429, f"{why}: try again in {wait} s", slug="too-many-requests")
    error.headers = {"Retry-After": str(wait)}
    return error


def check(request: Request) -> None:
    """429 when this client address has failed too often lately."""
    wait = throttle_of(request).retry_after(client_of(request))
    if wait is not None:
        raise too_many("too many failed sign-ins or unknown keys from this address", wait)


def failed(request: Request) -> None:
    throttle_of(request).failed(client_of(request))
