from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatcher.domain.message import (
    MAX_TEXT_CHARS,
    Encoding,
    Method,
    TextProblem,
    inspect,
    problem_text,
    segments_for,
)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("hola", Encoding.GSM7, 1),
        ("a" * 160, Encoding.GSM7, 1),
        ("a" * 161, Encoding.GSM7, 2),
        ("a" * 306, Encoding.GSM7, 2),
        ("a" * 307, Encoding.GSM7, 3),
        ("€" * 80, Encoding.GSM7, 1),  # extension characters cost two septets
        ("€" * 81, Encoding.GSM7, 2),
        ("Ñandú ¿qué tal?", Encoding.UCS2, 1),  # ú is not in GSM-7
        ("ó" * 70, Encoding.UCS2, 1),
        ("ó" * 71, Encoding.UCS2, 2),
        ("ó" * 134, Encoding.UCS2, 2),
        ("ó" * 135, Encoding.UCS2, 3),
        ("🙂" * 35, Encoding.UCS2, 1),  # each emoji is two UTF-16 units
        ("🙂" * 36, Encoding.UCS2, 2),
    ],
)
def test_encoding_and_segments(text: str, encoding: Encoding, segments: int) -> None:
    info = inspect(text)
    assert info.encoding is encoding
    assert info.segments == segments
    assert info.ok


def test_empty_and_too_long_are_refused_with_reason() -> None:
    assert inspect("").problem is TextProblem.EMPTY
    assert inspect("   \n").problem is TextProblem.EMPTY
    assert inspect("x" * MAX_TEXT_CHARS).ok
    too_long = inspect("x" * (MAX_TEXT_CHARS + 1))
    assert too_long.problem is TextProblem.TOO_LONG
    assert "shorten it by 1" in problem_text(TextProblem.TOO_LONG, too_long.chars)
    assert "empty" in problem_text(TextProblem.EMPTY, 0)


@pytest.mark.parametrize(
    "text",
    [
        "Pague en https://pagos.example.com/abc",
        "visite www.tienda.com hoy",
        "entre a bit.ly/xyz123",
        "ver mitienda.com.co/ofertas",
        "HTTP://EJEMPLO.CO",
    ],
)
def test_links_are_detected(text: str) -> None:
    assert inspect(text).has_link


@pytest.mark.parametrize("text", ["Su cita es a las 10.30", "Saldo: 1.234.567", "hola, qué tal"])
def test_plain_text_has_no_link(text: str) -> None:
    assert not inspect(text).has_link


def test_methods_are_the_providers() -> None:
    assert [m.value for m in Method] == ["1via", "2via", "flash"]


@given(st.integers(min_value=0, max_value=2000))
def test_segments_cover_the_units(units: int) -> None:
    for encoding, single, multi in ((Encoding.GSM7, 160, 153), (Encoding.UCS2, 70, 67)):
        n = segments_for(units, encoding)
        if units == 0:
            assert n == 0
        elif units <= single:
            assert n == 1
        else:
            assert (n - 1) * multi < units <= n * multi
