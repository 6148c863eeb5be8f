from __future__ import annotations

import time
import uuid
from itertools import pairwise

import pytest
import redis

from tests import limiter_contract as contract
from workers.limiter import RedisLimiter

pytestmark = pytest.mark.integration
SPACING = 0.2


@pytest.fixture
def limiter(redis_url: str) -> RedisLimiter:
    client = redis.Redis.from_url(redis_url)
    # a namespace per test: accounts get a unique suffix through the key format
    return RedisLimiter(client)


def ns(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


class Namespaced:
    """Gives every account name a unique suffix so tests never share Redis keys."""

    def __init__(self, inner: RedisLimiter):
        self.inner, self.suffix = inner, uuid.uuid4().hex[:6]

    def reserve(self, account: str, spacing_s: float) -> float:
        return self.inner.reserve(f"{account}-{self.suffix}", spacing_s)

    def acquire(self, account: str, token: str, max_in_flight: int, lease_s: float) -> float:
        return self.inner.acquire(f"{account}-{self.suffix}", token, max_in_flight, lease_s)

    def release(self, account: str, token: str) -> None:
        self.inner.release(f"{account}-{self.suffix}", token)


def test_spacing(limiter: RedisLimiter) -> None:
    contract.check_spacing(Namespaced(limiter), time.sleep, SPACING)


def test_accounts_are_independent(limiter: RedisLimiter) -> None:
    contract.check_accounts_are_independent(Namespaced(limiter), SPACING)


def test_in_flight(limiter: RedisLimiter) -> None:
    contract.check_in_flight(Namespaced(limiter), time.sleep)


def test_lease(limiter: RedisLimiter) -> None:
    contract.check_lease_frees_a_dead_holder(Namespaced(limiter), time.sleep, 0.3)


def test_restart(limiter: RedisLimiter, redis_url: str) -> None:
    wrapped = Namespaced(limiter)

    def forget() -> None:  # what a Redis restart without persistence does to our keys
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"pregonero:limiter:*{wrapped.suffix}*"):
            client.delete(key)

    contract.check_forgetting_restarts_cold(wrapped, forget, SPACING)


def test_many_processes_share_one_pace(limiter: RedisLimiter, redis_url: str) -> None:
    """Reservations from independent clients never come closer than the spacing."""
    import threading

    account = ns("shared")
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        own = RedisLimiter(redis.Redis.from_url(redis_url))
        for _ in range(5):
            wait = own.reserve(account, SPACING)
            time.sleep(wait)
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    gaps = [b - a for a, b in pairwise(starts)]
    assert len(starts) == 20
    assert min(gaps) >= SPACING - 0.03  # sleep jitter only
