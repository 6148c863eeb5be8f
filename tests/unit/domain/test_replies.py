"""Reading the provider's reply requests, and what counts as an opt-out."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatcher.domain.replies import BadReply, OptOutWords, fields, parse, words

DEFAULT = OptOutWords(("salir", "exit", "remove", "stop", "baja", "cancelar", "no mas"))


@pytest.mark.parametrize(
    "text",
    ["SALIR", "Salir.", "salír por favor", "¡Salir!", " stop", "No más", "NO MAS gracias", "Baja"],
)
def test_opt_outs(text: str) -> None:
    assert DEFAULT(text)


@pytest.mark.parametrize(
    "text", ["no quiero salir", "hola", "", "no", "salirme", "stopped", "más no", "🙂"]
)
def test_not_opt_outs(text: str) -> None:
    assert not DEFAULT(text)


def test_words_drop_case_accents_and_punctuation() -> None:
    assert words("¡Salír, POR_favor!") == ("salir", "por", "favor")


@given(st.text(max_size=200))
def test_any_text_is_judged_without_error(text: str) -> None:
    assert DEFAULT(text) in (True, False)


def test_fields_from_query_and_form_in_utf8_or_latin1() -> None:
    found = fields(b"mensaje=S%C3%AD+se%C3%B1or&celular=573102111111", b"x=1&mensaje2=%F1")
    assert found["mensaje"] == ["Sí señor"] and found["mensaje2"] == ["ñ"]
    assert parse(fields(b"mensaje=Hola&celular=3102111111"), "CO").msisdn == "573102111111"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (b"mensaje=hola", "celular"),
        (b"celular=573102111111", "mensaje"),
        (b"mensaje=a&mensaje=b&celular=573102111111", "mensaje"),
        (b"mensaje=hola&celular=abc", "celular"),
        (b"mensaje=%00&celular=573102111111", "mensaje"),
    ],
)
def test_unusable_requests_name_the_field(query: bytes, field: str) -> None:
    with pytest.raises(BadReply) as caught:
        parse(fields(query), "CO")
    assert caught.value.field == field


@given(st.binary(max_size=300))
def test_any_bytes_are_a_reply_or_a_bad_reply(raw: bytes) -> None:
    with contextlib.suppress(BadReply):
        parse(fields(raw), "CO")
