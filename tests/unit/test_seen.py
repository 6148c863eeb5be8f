"""The compact duplicate check says what a set would say."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dispatcher.intake.seen import SeenNumbers

numbers = st.integers(min_value=10**11, max_value=10**11 + 300)  # small range: many repeats


@given(st.lists(st.lists(numbers, max_size=60), max_size=40))
def test_first_time_is_what_a_set_says(batches: list[list[int]]) -> None:
    seen, reference = SeenNumbers(), set[int]()
    for batch in batches:
        expected = []
        for number in batch:
            expected.append(number not in reference)
            reference.add(number)
        assert seen.first_time(batch) == expected
    assert len(seen) == len(reference)


def test_many_batches_keep_few_runs() -> None:
    seen = SeenNumbers()
    for start in range(0, 200_000, 1000):
        assert all(seen.first_time(list(range(start, start + 1000))))
    assert not any(seen.first_time(list(range(0, 200_000, 7))))
    assert len(seen._runs) <= 8  # doubling sizes: about log2(batches)
