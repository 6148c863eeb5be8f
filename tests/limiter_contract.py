"""One contract for the limiter, run against Redis (integration) and the twin (unit)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from dispatcher.engine.ports import Limiter

Advance = Callable[[float], None]  # move time forward (a fake clock, or a real sleep)


def check_spacing(limiter: Limiter, advance: Advance, spacing_s: float) -> None:
    account = "acct-spacing"
    waits = [limiter.reserve(account, spacing_s) for _ in range(5)]
    # Cold start: the first slot is a full interval away; then one every spacing.
    assert waits[0] >= spacing_s * 0.99
    for before, after in pairwise(waits):
        assert abs((after - before) - spacing_s) < spacing_s * 0.2 + 0.01
    advance(waits[-1] + spacing_s * 3)
    # Idle for a while: the next slot is now, not in the past (no burst of catch-up).
    assert 0 <= limiter.reserve(account, spacing_s) <= spacing_s * 0.2 + 0.01


def check_accounts_are_independent(limiter: Limiter, spacing_s: float) -> None:
    a = [limiter.reserve("acct-a", spacing_s) for _ in range(3)]
    b = limiter.reserve("acct-b", spacing_s)
    assert a[-1] > b  # b does not queue behind a


def check_in_flight(limiter: Limiter, advance: Advance) -> None:
    account = "acct-inflight"
    assert limiter.acquire(account, "t1", 2, 10.0) == 0
    assert limiter.acquire(account, "t2", 2, 10.0) == 0
    assert limiter.acquire(account, "t3", 2, 10.0) > 0  # full
    assert limiter.acquire(account, "t1", 2, 10.0) == 0  # the holder may renew
    limiter.release(account, "t2")
    assert limiter.acquire(account, "t3", 2, 10.0) == 0


def check_lease_frees_a_dead_holder(limiter: Limiter, advance: Advance, lease_s: float) -> None:
    account = "acct-lease"
    assert limiter.acquire(account, "dead", 1, lease_s) == 0
    assert limiter.acquire(account, "alive", 1, lease_s) > 0
    advance(lease_s * 1.5)
    assert limiter.acquire(account, "alive", 1, lease_s) == 0


def check_forgetting_restarts_cold(
    limiter: Limiter, forget: Callable[[], None], spacing_s: float
) -> None:
    account = "acct-restart"
    limiter.reserve(account, spacing_s)
    forget()
    assert limiter.reserve(account, spacing_s) >= spacing_s * 0.99


def check_late_starts_keep_the_spacing(
    limiter: Limiter, advance: Advance, spacing_s: float
) -> None:
    """A request that left late pushes the next one back; one on time waits nothing."""
    account = "acct-start"
    assert limiter.start(account, spacing_s) == 0  # the first: nothing before it
    advance(spacing_s * 0.5)  # the next one's slot came early relative to the late start
    wait = limiter.start(account, spacing_s)
    assert spacing_s * 0.3 < wait <= spacing_s * 0.5 + 0.01
    advance(wait + spacing_s * 1.5)
    assert limiter.start(account, spacing_s) == 0  # on time: no wait
