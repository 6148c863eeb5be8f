"""Intake's counts stay exact: every number is sendable, a repeat, invalid or suppressed,
in the order it came, and chunks are cut every CHUNK_SIZE sendable numbers of one text."""

from __future__ import annotations

from collections import Counter, defaultdict
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatcher.domain.numbers import FastNormaliser, normalise
from dispatcher.domain.template import parse
from dispatcher.intake import rows as rows_module
from dispatcher.intake.rows import RecipientRows
from dispatcher.intake.texts import TextBook

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
    book = TextBook(1, parse("hola"), chunk_size)
    rows = RecipientRows(
        1,
        10_000,
        FastNormaliser("CO"),
        lambda ms: dict.fromkeys(set(ms) & SUPPRESSED, "suppression_list"),
        book,
    )
    entries = ((line, value, ()) for line, value in enumerate(raw, start=1))
    with patch.object(rows_module, "BATCH", batch):  # repeats across batches too
        text = "".join(b.recipients for b in rows.rows(entries))
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
    assert list(book.chunk_size) == [
        min(chunk_size, tally.sendable - i) for i in range(0, tally.sendable, chunk_size)
    ]


CITIES = ["Cali", "Pasto", "", "Bogotá"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(VALID + INVALID), st.sampled_from(CITIES)), max_size=300),
    st.integers(min_value=1, max_value=7),
    st.integers(min_value=1, max_value=50),
)
def test_each_chunk_holds_one_text(raw: list[tuple[str, str]], chunk_size: int, batch: int) -> None:
    """With a template, every sendable number is in one chunk of its own text, chunks are
    full but for each text's last, and a number without a value is invalid."""
    book = TextBook(7, parse("Hola de {{ciudad}}"), chunk_size)
    rows = RecipientRows(7, 10_000, FastNormaliser("CO"), lambda ms: {}, book)
    entries = ((line, value, (city,)) for line, (value, city) in enumerate(raw, start=1))
    with patch.object(rows_module, "BATCH", batch):
        batches = list(rows.rows(entries))
    cells = [line.split("\t") for b in batches for line in b.recipients.splitlines()]
    texts = {
        int(t[1]): t[2] for b in batches for t in (r.split("\t") for r in b.texts.splitlines())
    }
    pending = [c for c in cells if c[5] == "pending"]
    missing = [c for c in cells if c[6] == "missing_field"]
    assert all(raw[int(c[2]) - 1][1] == "" for c in missing)
    by_chunk: dict[int, set[str]] = defaultdict(set)
    for c in pending:
        city = raw[int(c[2]) - 1][1]
        assert texts[int(c[7])] == f"Hola de {city}"  # its own text
        by_chunk[int(c[3])].add(c[7])
    assert all(len(ids) == 1 for ids in by_chunk.values())  # one text a chunk
    sizes = Counter(int(c[3]) for c in pending)
    assert [sizes[seq] for seq in range(book.chunks)] == list(book.chunk_size)
    per_text = Counter(int(c[7]) for c in pending)
    for text_id, count in per_text.items():
        chunks = [s for s, t in enumerate(book.chunk_text) if t == text_id]
        assert len(chunks) == -(-count // chunk_size)
    figures = book.figures()
    assert figures.texts == len(per_text) and figures.requests == book.chunks
    assert figures.numbers == len(pending)
