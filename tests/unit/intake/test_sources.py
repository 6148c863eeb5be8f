"""Where a campaign's recipients and their fields come from: a CSV's header and columns,
JSON objects with fields."""

from __future__ import annotations

import io
import json

import pytest

from dispatcher.intake.json_body import BadBody, JsonCampaign
from dispatcher.intake.sources import BadUpload, CsvNumbers, JsonRecipients, UnknownField


def csv_entries(text: str, keys: tuple[str, ...] = (), **kw: str) -> tuple[list, CsvNumbers]:
    source = CsvNumbers(io.BytesIO(text.encode()), kw.get("number_column"))
    return list(source.entries(keys)), source


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nombre,Número,ciudad", "3102111111"),  # named like a number, accents aside
        ("nombre,GSM,ciudad", "3102111111"),
        ("nombre,Teléfono,movil", "3102111111"),  # the first of the names, in file order
    ],
)
def test_the_number_column_is_found_by_name(header: str, expected: str) -> None:
    rows, source = csv_entries(f"{header}\nAna,3102111111,3000000000\n", ())
    assert rows == [(2, expected, ())]
    assert source.guessed_column == []


def test_else_the_first_column_and_number_column_wins() -> None:
    rows, source = csv_entries("cliente;nombre\n3102111111;Ana\n")
    assert rows == [(2, "3102111111", ())] and source.guessed_column == ["cliente"]
    rows, source = csv_entries("celular,otro\n1,3102111111\n", number_column="OTRO")
    assert rows == [(2, "3102111111", ())] and source.ignored_columns == ["celular"]
    with pytest.raises(BadUpload, match="number_column='fijo' is not a column"):
        csv_entries("celular,otro\n1,2\n", number_column="fijo")


def test_fields_are_read_by_the_template_keys_and_the_rest_ignored() -> None:
    text = 'celular,Nombre,Ciudad,saldo\n3102111111,"Ana\x07 María ",Cali,5\n3102111112,,Pasto\n'
    rows, source = csv_entries(text, ("ciudad", "nombre"))
    assert rows == [(2, "3102111111", ("Cali", "Ana María")), (3, "3102111112", ("Pasto", ""))]
    assert source.ignored_columns == ["saldo"]


def test_a_field_no_column_names_is_refused_before_any_row() -> None:
    with pytest.raises(UnknownField, match=r"\{\{apellido\}\}.*'Nombre'"):
        csv_entries("celular,Nombre\n3102111111,Ana\n", ("apellido",))
    with pytest.raises(UnknownField):
        csv_entries("3102111111\n3102111112\n", ("nombre",))  # no header: no fields


def test_json_objects_keep_numbers_as_written_and_fields_as_text() -> None:
    body = {
        "name": "n",
        "message": "Hola {{nombre}}",
        "recipients": [
            "3102111111",
            {"number": 3.00111e9, "fields": {"Nombre": "Ana", "saldo": 10, "vip": True}},
            {"number": "3102111113", "fields": {"nombre": None}},
        ],
    }
    campaign = JsonCampaign(io.BytesIO(json.dumps(body).encode()), objects=True)
    _fields, count, _digest = campaign.fields()
    assert count == 3 and campaign.field_names == {
        "nombre": "Nombre",
        "saldo": "saldo",
        "vip": "vip",
    }
    source = JsonRecipients(campaign.items(), campaign.field_names)
    assert list(source.entries(("nombre", "saldo"))) == [
        (1, "3102111111", ("", "")),
        (2, "3001110000.0", ("Ana", "10")),
        (3, "3102111113", ("", "")),
    ]
    with pytest.raises(UnknownField, match="no recipient has such a field"):
        source.entries(("apellido",))


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"number": "1", "extra": 1}, "a recipient object has 'number' and 'fields'"),
        ({"fields": {}}, "number must be a phone number"),
        ({"number": "1", "fields": {"a": {"b": 1}}}, "must be text or a number"),
        ({"number": "1", "fields": ["a"]}, "fields must be an object"),
        ({"number": "1", "fields": {"a": "x" * 1025}}, "over 1,024 characters"),
    ],
)
def test_bad_recipient_objects_say_what_to_fix(item: dict, problem: str) -> None:
    body = json.dumps({"name": "n", "message": "m", "recipients": [item]}).encode()
    with pytest.raises(BadBody, match=problem):
        JsonCampaign(io.BytesIO(body), objects=True).fields()
