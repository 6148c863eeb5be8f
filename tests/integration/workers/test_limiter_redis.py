from __future__ import annotations

import time
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
    return RedisLimiter(client)


def test_spacing(limiter: RedisLimiter) -> None:
    contract.check_spacing(limiter, time.sleep, SPACING)


def test_accounts_are_independent(limiter: RedisLimiter) -> None:
    contract.check_accounts_are_independent(limiter, SPACING)


def test_in_flight(limiter: RedisLimiter) -> None:
    contract.check_in_flight(limiter, time.sleep)


def test_lease(limiter: RedisLimiter) -> None:
    contract.check_lease_frees_a_dead_holder(limiter, time.sleep, 0.3)


def test_late_starts(limiter: RedisLimiter) -> None:
    contract.check_late_starts_keep_the_spacing(limiter, time.sleep, SPACING)


def test_restart(limiter: RedisLimiter, redis_url: str) -> None:
    def forget() -> None:  # what a Redis restart without persistence does to our keys
        redis.Redis.from_url(redis_url).flushdb()

    contract.check_forgetting_restarts_cold(limiter, forget, SPACING)


def test_many_processes_share_one_pace(limiter: RedisLimiter, redis_url: str) -> None:
    """Reservations from independent clients never come closer than the spacing."""
    import threading

    account = "shared"
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
