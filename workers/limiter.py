"""The shared limiter: one Lua script on Redis ``TIME`` per operation, one key per
provider account, so workers on any number of hosts agree whatever their clocks.

Start slots are handed out ``spacing`` apart (reservation / GCRA with no burst).  When
the key is missing — first use, or Redis restarted and lost it — the first slot is a
full interval away, so the spacing holds across a restart.  In-flight places are a
sorted set of tokens scored by their lease deadline: a killed worker's place frees
itself when its lease runs out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from importlib import resources

import redis

from workers.constants import LIMITER_INFLIGHT_KEY, LIMITER_NEXT_KEY, LIMITER_START_KEY

POLL_S = 0.05


def _lua(name: str) -> str:
    return (resources.files("workers") / "lua" / f"{name}.lua").read_text()


class RedisLimiter:
    def __init__(self, client: redis.Redis[bytes], poll_s: float = POLL_S):
        self._redis = client
        self._reserve = client.register_script(_lua("reserve"))
        self._acquire = client.register_script(_lua("acquire"))
        self._start = client.register_script(_lua("start"))
        self._poll_s = poll_s

    @classmethod
    def from_url(cls, url: str) -> RedisLimiter:
        return cls(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))

    def reserve(self, account: str, spacing_s: float) -> float:
        key = LIMITER_NEXT_KEY.format(account=account)
        return float(self._reserve(keys=[key], args=[spacing_s]))

    def start(self, account: str, spacing_s: float) -> float:
        key = LIMITER_START_KEY.format(account=account)
        return float(self._start(keys=[key], args=[spacing_s]))

    def acquire(self, account: str, token: str, max_in_flight: int, lease_s: float) -> float:
        key = LIMITER_INFLIGHT_KEY.format(account=account)
        return float(self._acquire(keys=[key], args=[token, max_in_flight, lease_s, self._poll_s]))

    def release(self, account: str, token: str) -> None:
        self._redis.zrem(LIMITER_INFLIGHT_KEY.format(account=account), token)


class MemoryLimiter:
    """The in-memory twin: the same rules, a clock you choose, one process only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, poll_s: float = POLL_S):
        self._clock = clock
        self._next: dict[str, float] = {}
        self._started: dict[str, float] = {}
        self._inflight: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()
        self._poll_s = poll_s

    def forget(self) -> None:
        """What a Redis restart does."""
        with self._lock:
            self._next.clear()
            self._started.clear()
            self._inflight.clear()

    def reserve(self, account: str, spacing_s: float) -> float:
        with self._lock:
            now = self._clock()
            nxt = self._next.get(account)
            slot_at = now + spacing_s if nxt is None else max(now, nxt)
            self._next[account] = slot_at + spacing_s
            return slot_at - now

    def start(self, account: str, spacing_s: float) -> float:
        with self._lock:
            now = self._clock()
            last = self._started.get(account)
            begins = now if last is None else max(now, last + spacing_s)
            self._started[account] = begins
            return begins - now

    def acquire(self, account: str, token: str, max_in_flight: int, lease_s: float) -> float:
        with self._lock:
            now = self._clock()
            held = self._inflight.setdefault(account, {})
            for other, deadline in list(held.items()):
                if deadline <= now:
                    del held[other]
            if token in held or len(held) < max_in_flight:
                held[token] = now + lease_s
                return 0.0
            return max(min(min(held.values()) - now, self._poll_s), 0.001)

    def release(self, account: str, token: str) -> None:
        with self._lock:
            self._inflight.get(account, {}).pop(token, None)
