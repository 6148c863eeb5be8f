"""Intake's counts stay exact: every number is sendable, a repeat, invalid or suppressed,
in the order it came, and chunks are cut every CHUNK_SIZE sendable numbers."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatcher.domain.numbers import FastNormaliser, normalise
from dispatcher.intake import rows as rows_module
from dispatcher.intake.rows import RecipientRows

VALID = [f"31021{i:05d}" for i in range(40)] + ["+57 310 211 1111", "573102111112"]
INVALID = ["12345", "abc", "", "+57 601 2345678", "3" * 30]
SUPPRESSED = {"573102100003", "573102100007"}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(VALID + INVALID), max_size=400),
    st.integers(min_value=1, max_value=7),
    st.integers(min_value=1, max_value=50),
)
def test_counts_are_exact(raw: list[str], chunk_size: int, batch: int) -> None:
    rows = RecipientRows(
        1, chunk_size, 10_000, FastNormaliser("CO"), lambda ms: set(ms) & SUPPRESSED
    )
    with patch.object(rows_module, "BATCH", batch):  # repeats across batches too
        text = "".join(rows.rows(enumerate(raw, start=1)))
    lines = [line.split("\t") for line in text.splitlines()]
    seen: set[str] = set()
    expected = []  # (line, msisdn or None, status) for every stored row
    duplicates = 0
    for line, value in enumerate(raw, start=1):
        msisdn = normalise(value, "CO").msisdn
        if msisdn is None:
            expected.append((line, "invalid"))
        elif msisdn in seen:
            duplicates += 1
        else:
            seen.add(msisdn)
            expected.append((line, "suppressed" if msisdn in SUPPRESSED else "pending"))
    assert [(int(c[2]), c[5]) for c in lines] == expected
    assert [int(c[1]) for c in lines] == list(range(1, len(lines) + 1))  # n in order
    tally = rows.tally
    assert tally.submitted == len(raw) and tally.duplicate == duplicates
    assert tally.invalid == sum(1 for _l, s in expected if s == "invalid")
    assert tally.suppressed == sum(1 for _l, s in expected if s == "suppressed")
    assert tally.sendable == sum(1 for _l, s in expected if s == "pending")
    assert [s.size for s in rows.spans] == [
        min(chunk_size, tally.sendable - i) for i in range(0, tally.sendable, chunk_size)
    ]
