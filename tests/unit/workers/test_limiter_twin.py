from __future__ import annotations

from itertools import pairwise

import pytest

from dispatcher.engine.ports import slot
from tests import limiter_contract as contract
from workers.limiter import MemoryLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def twin(clock: FakeClock) -> MemoryLimiter:
    return MemoryLimiter(clock)


def test_spacing(twin: MemoryLimiter, clock: FakeClock) -> None:
    contract.check_spacing(twin, clock.advance, 2.05)


def test_accounts_are_independent(twin: MemoryLimiter) -> None:
    contract.check_accounts_are_independent(twin, 2.05)


def test_in_flight(twin: MemoryLimiter, clock: FakeClock) -> None:
    contract.check_in_flight(twin, clock.advance)


def test_lease(twin: MemoryLimiter, clock: FakeClock) -> None:
    contract.check_lease_frees_a_dead_holder(twin, clock.advance, 30.0)


def test_late_starts(twin: MemoryLimiter, clock: FakeClock) -> None:
    contract.check_late_starts_keep_the_spacing(twin, clock.advance, 2.05)


def test_restart(twin: MemoryLimiter) -> None:
    contract.check_forgetting_restarts_cold(twin, twin.forget, 2.05)


def test_slot_waits_and_releases(twin: MemoryLimiter, clock: FakeClock) -> None:
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        clock.advance(s)

    starts = []
    for i in range(4):
        with slot(twin, "acct", f"t{i}", spacing_s=2.05, max_in_flight=1, sleep=sleep):
            starts.append(clock())
    gaps = [b - a for a, b in pairwise(starts)]
    assert all(g >= 2.05 - 1e-9 for g in gaps)
    assert twin.acquire("acct", "other", 1, 60) == 0  # every place was given back


def test_a_chunk_sent_while_waiting_for_a_place_costs_no_slot(
    twin: MemoryLimiter, clock: FakeClock
) -> None:
    assert twin.acquire("acct", "busy", 1, 60) == 0  # someone holds the only place
    asked: list[bool] = []

    def still_wanted() -> bool:
        asked.append(True)
        return False

    def sleep(s: float) -> None:  # the holder gives its place back while we wait
        clock.advance(s)
        twin.release("acct", "busy")

    with slot(
        twin,
        "acct",
        "dup",
        spacing_s=2.0,
        max_in_flight=1,
        sleep=sleep,
        still_wanted=still_wanted,
    ) as wanted:
        assert wanted is False
    assert asked == [True]
    # No slot was reserved: the next request is only the cold-start interval away.
    assert twin.reserve("acct", 2.0) == 2.0


def test_a_place_had_at_once_asks_nothing_more(twin: MemoryLimiter, clock: FakeClock) -> None:
    """The chunk was read a moment ago; the claim's own check covers the rest."""

    def still_wanted() -> bool:
        raise AssertionError("asked without having waited")

    with slot(
        twin,
        "acct",
        "t",
        spacing_s=2.0,
        max_in_flight=1,
        sleep=clock.advance,
        still_wanted=still_wanted,
    ) as wanted:
        assert wanted is True
