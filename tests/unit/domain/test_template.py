"""Templates: placeholders, defaults, field names without case or accents, values as
text, and GSM-7 transliteration."""

from __future__ import annotations

import pytest

from dispatcher.domain.message import Encoding, inspect
from dispatcher.domain.template import (
    Missing,
    TemplateProblem,
    clean_value,
    field_key,
    not_gsm7,
    parse,
    transliterate,
)


def test_a_message_without_braces_is_sent_as_written() -> None:
    t = parse("Hola, su pedido llegó {a} }")
    assert not t.personalised and t.render(()) == "Hola, su pedido llegó {a} }"


def test_placeholders_with_spaces_case_accents_and_defaults() -> None:
    t = parse("Hola {{ Nombre }}, de {{ciudad|Bogotá}}: saldo {{SALDO}} ({{nombre}})")
    assert t.used_keys == ("nombre", "ciudad", "saldo")
    assert t.needs() == {"nombre": "Nombre", "saldo": "SALDO"}
    assert t.render(("Ana", "", "$10")) == "Hola Ana, de Bogotá: saldo $10 (Ana)"
    assert t.render(("Ana", "Cali", "$10")) == "Hola Ana, de Cali: saldo $10 (Ana)"
    assert t.render(("", "Cali", "1")) == Missing("Nombre")
    assert "{{Nombre}}" in Missing("Nombre").detail
    assert field_key(" Número ") == "numero" and field_key("TELÉFONO") == "telefono"


def test_values_are_text_never_placeholders() -> None:
    t = parse("Hola {{nombre}}")
    assert t.render(("{{saldo}}",)) == "Hola {{saldo}}"
    assert clean_value(" A\x00n\ta\x1b\x9b ") == "Ana"


@pytest.mark.parametrize("bad", ["Hola {{nombre", "Hola {{ nom-bre }}", "}} hola", "{{}}"])
def test_braces_that_are_not_placeholders_are_refused(bad: str) -> None:
    with pytest.raises(TemplateProblem, match="not a placeholder"):
        parse(bad)


def test_transliteration_to_gsm7() -> None:
    text = "Información: “oferta” – válida… ¡Sí! ñandú ÉXITO ¿ü? 😀"
    out = transliterate(text)
    assert out == 'Informacion: "oferta" - valida... ¡Si! ñandu ÉXITO ¿ü? 😀'
    assert not_gsm7(out) == ["😀"]  # no equivalent: stays, and the plan names it
    assert inspect(transliterate("Canción número ú")).encoding is Encoding.GSM7
    assert not_gsm7("Canción “x”") == ["ó", "“", "”"]
