"""Personalised messages and the plan through the HTTP API on a real Postgres: texts
grouped into chunks of one text, refusals before anything is stored, dry runs that store
nothing, transliteration, cost, balance and reserved words."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from dispatcher.domain.forecast import done_at
from dispatcher.domain.status import Purpose
from dispatcher.domain.times import iso
from dispatcher.settings import Settings, load_settings
from dispatcher.store import accounts
from tests.builders import a_tenant

pytestmark = pytest.mark.integration


def mobile(i: int) -> str:
    return f"310{i:07d}"


def cities_csv(counts: dict[str, int], extra: str = "") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nombre", "Celular", "Ciudad", "saldo"])
    i = 0
    for city, count in counts.items():
        for _ in range(count):
            writer.writerow([f"Persona {i}", mobile(i), city, str(i)])
            i += 1
    return out.getvalue().encode() + extra.encode()


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def counts(engine: Engine, tables: tuple[str, ...]) -> list[Any]:
    return [rows(engine, f"SELECT count(*) FROM {t}") for t in tables]  # noqa: S608


def post_csv(api: TestClient, auth: dict[str, str], body: bytes, **params: Any) -> Any:
    params.setdefault("name", "Ciudades")
    return api.post(
        "/v1/campaigns", params=params, content=body, headers={**auth, "Content-Type": "text/csv"}
    )


def test_a_column_template_keeps_blocks_full(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    auth = a_tenant(engine).auth
    body = cities_csv({"Cali": 1500, "Pasto": 1000, "Neiva": 500})
    r = post_csv(api, auth, body, message="Hola, hay ofertas en {{ ciudad }}")
    assert r.status_code == 201, r.text
    created = r.json()
    plan = created["plan"]
    assert (plan["texts"], plan["requests"], plan["numbers"]) == (3, 4, 3000)
    assert plan["segments"] == 3000 and plan["encoding"] == {"gsm7": 3, "ucs2": 0}
    assert plan["warnings"] == [] and plan["examples"][0] == {
        "number": "573100000000",
        "text": "Hola, hay ofertas en Cali",
    }
    assert created["ignored_columns"] == ["nombre", "saldo"]
    # 4 requests at 2 s, from now or from when the window opens
    made = datetime.fromisoformat(plan["made_at"])
    done = done_at(settings.window_for(Purpose.TRANSACTIONAL), made, 8.0)
    assert done is not None and plan["done_by"] == iso(done)
    cid = created["id"]
    chunks = rows(
        engine,
        "SELECT c.size, t.text FROM chunk c JOIN campaign_text t "
        "ON t.campaign_id = c.campaign_id AND t.id = c.text_id WHERE c.campaign_id = :c "
        "ORDER BY c.seq",
        c=cid,
    )
    assert sorted(chunks) == sorted(
        [
            (1000, "Hola, hay ofertas en Cali"),
            (500, "Hola, hay ofertas en Cali"),
            (1000, "Hola, hay ofertas en Pasto"),
            (500, "Hola, hay ofertas en Neiva"),
        ]
    )
    # Every recipient's chunk carries its own text.
    wrong = rows(
        engine,
        "SELECT count(*) FROM recipient r JOIN chunk c ON c.campaign_id = r.campaign_id "
        "AND c.seq = r.chunk_seq WHERE r.campaign_id = :c AND c.text_id <> r.text_id",
        c=cid,
    )
    assert wrong == [(0,)]
    detail = api.get(f"/v1/campaigns/{cid}", headers=auth).json()
    assert detail["plan"]["texts"] == 3 and detail["message"] == "Hola, hay ofertas en {{ ciudad }}"
    texts = api.get(f"/v1/campaigns/{cid}/texts", headers=auth).json()
    assert [(t["numbers"], t["text"]) for t in texts["items"]] == [
        (1500, "Hola, hay ofertas en Cali"),
        (1000, "Hola, hay ofertas en Pasto"),
        (500, "Hola, hay ofertas en Neiva"),
    ]
    export = api.get(f"/v1/campaigns/{cid}/recipients", headers=auth)
    first = export.json()["items"][0]
    assert texts["items"][first["text_id"]]["text"] == "Hola, hay ofertas en Cali"
    as_csv = api.get(f"/v1/campaigns/{cid}/recipients", params={"format": "csv"}, headers=auth)
    assert as_csv.text.splitlines()[0].endswith(",detail,text_id")


def test_json_recipients_with_fields_one_text_each(api: TestClient, engine: Engine) -> None:
    auth = a_tenant(engine).auth
    people = [{"number": mobile(i), "fields": {"Nombre": f"Ana {i}"}} for i in range(5)]
    r = api.post(
        "/v1/campaigns",
        json={"name": "n", "message": "Hola {{nombre}}", "recipients": [*people, mobile(9)]},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["plan"]["texts"], body["plan"]["requests"]) == (5, 5)
    assert body["counts"]["invalid"] == 1  # the bare number has no nombre
    assert body["invalid_sample"] == [
        {
            "line": 6,
            "value": "3100000009",
            "reason": "missing_field",
            "detail": "no value for {{nombre}} and the placeholder gives no default",
        }
    ]
    assert body["plan"]["warnings"][0].startswith("5 distinct texts: 5 requests, about 10 s")
    stored = rows(
        engine,
        "SELECT status, reason, detail FROM recipient WHERE campaign_id = :c AND line = 6",
        c=body["id"],
    )
    assert stored == [("invalid", "missing_field", body["invalid_sample"][0]["detail"])]


def test_unknown_fields_are_refused_before_anything_is_stored(
    api: TestClient, engine: Engine
) -> None:
    auth = a_tenant(engine).auth
    before = rows(engine, "SELECT count(*) FROM campaign")
    r = post_csv(api, auth, cities_csv({"Cali": 3}), message="Hola {{apellido}}")
    assert r.status_code == 422
    assert "{{apellido}}" in r.json()["detail"] and "'Ciudad'" in r.json()["detail"]
    j = api.post(
        "/v1/campaigns",
        json={
            "name": "n",
            "message": "Hola {{apellido}}",
            "recipients": [{"number": mobile(1), "fields": {"nombre": "Ana"}}],
        },
        headers=auth,
    )
    assert j.status_code == 422 and "no recipient has such a field" in j.json()["detail"]
    bare = api.post(
        "/v1/campaigns",
        json={"name": "n", "message": "Hola {{nombre}}", "recipients": [mobile(1)]},
        headers=auth,
    )
    assert bare.status_code == 422
    bad = api.post(
        "/v1/campaigns",
        json={"name": "n", "message": "Hola {{nombre", "recipients": [mobile(1)]},
        headers=auth,
    )
    assert bad.status_code == 422 and "not a placeholder" in bad.text
    assert rows(engine, "SELECT count(*) FROM campaign") == before


def test_a_text_over_765_characters_makes_its_recipient_invalid(
    api: TestClient, engine: Engine
) -> None:
    auth = a_tenant(engine).auth
    long = "x" * 800
    r = api.post(
        "/v1/campaigns",
        json={
            "name": "n",
            "message": "Hola {{nota}}",
            "recipients": [
                {"number": mobile(1), "fields": {"nota": "corta"}},
                {"number": mobile(2), "fields": {"nota": long}},
            ],
        },
        headers=auth,
    )
    assert r.status_code == 201, r.text
    sample = r.json()["invalid_sample"]
    assert [(s["reason"], s["detail"]) for s in sample] == [
        ("too_long", "the text for this number has 805 characters; the provider takes at most 765")
    ]


def test_a_dry_run_stores_nothing(api: TestClient, engine: Engine) -> None:
    auth = a_tenant(engine).auth
    tables = ("campaign", "recipient", "chunk", "campaign_text")
    before = counts(engine, tables)
    body = cities_csv({"Cali": 20, "Pasto": 10})
    dry = post_csv(api, auth, body, message="Hola {{ciudad}}", dry_run="true")
    assert dry.status_code == 200, dry.text
    answer = dry.json()
    assert "id" not in answer and "links" not in answer
    assert (answer["plan"]["texts"], answer["counts"]["sendable"]) == (2, 30)
    keyed = api.post(
        "/v1/campaigns",
        params={"dry_run": "true"},
        json={"name": "n", "message": "hola", "recipients": [mobile(1)]},
        headers={**auth, "Idempotency-Key": "k-dry"},
    )
    assert keyed.status_code == 200
    assert counts(engine, tables) == before
    # The key was not taken: the real request with it creates the campaign.
    real = api.post(
        "/v1/campaigns",
        json={"name": "n", "message": "hola", "recipients": [mobile(1)]},
        headers={**auth, "Idempotency-Key": "k-dry"},
    )
    assert real.status_code == 201 and "Idempotent-Replayed" not in real.headers
    refused = post_csv(api, auth, body, message="Hola {{pais}}", dry_run="true")
    assert refused.status_code == 422  # the same validation


def test_transliteration_sends_gsm7_and_the_plan_shows_both(
    api: TestClient, engine: Engine
) -> None:
    auth = a_tenant(engine).auth
    message = "Información “importante”: su cita en {{ciudad}} – mañana…"
    plain = post_csv(api, auth, cities_csv({"Bogotá": 2}), message=message)
    translit = post_csv(api, auth, cities_csv({"Bogotá": 2}), message=message, transliterate=True)
    assert plain.status_code == translit.status_code == 201, translit.text
    p, t = plain.json()["plan"], translit.json()["plan"]
    assert p["encoding"] == {"gsm7": 0, "ucs2": 1} and p["ucs2_chars"][:3] == ["ó", "“", "”"]
    # One segment either way: transliterating would not save a segment, so no advice.
    assert p["segments"] == p["segments_transliterated"] == 2
    assert not any("transliterate=true" in w for w in p["warnings"])
    assert t["encoding"] == {"gsm7": 1, "ucs2": 0} and t["transliterated"] is True
    assert t["examples"][0]["text"] == 'Informacion "importante": su cita en Bogota - mañana...'
    assert (t["segments_as_written"], t["segments_transliterated"]) == (
        p["segments"],
        p["segments_transliterated"],
    )


@pytest.fixture
def priced_api(migrated_url: str, engine: Engine) -> Iterator[TestClient]:
    from dispatcher.api.app import create_app

    priced = load_settings(
        database_url=migrated_url,
        accounts=[
            {
                "name": "priced",
                "user": "u",
                "token": "t",
                "price_per_segment": "7.5",
                "reserved_words": ["gratis", "préstamo ya"],
            }
        ],
    )
    with TestClient(create_app(priced, engine)) as client:
        yield client


def test_cost_balance_and_reserved_words(priced_api: TestClient, engine: Engine) -> None:
    auth = a_tenant(engine).auth
    people = [{"number": mobile(i), "fields": {"oferta": "descuento"}} for i in range(8)]
    first = priced_api.post(
        "/v1/campaigns",
        json={"name": "n", "message": "Hoy {{oferta}}", "recipients": people},
        headers=auth,
    )
    assert first.status_code == 201, first.text
    assert first.json()["plan"]["cost"] == {
        "segments": 8,
        "price_per_segment": "7.5",
        "amount": "60.00",
        "currency": "COP",
    }
    with engine.begin() as conn:
        accounts.record_balance(conn, "priced", Decimal("50"))
    second = priced_api.post(
        "/v1/campaigns",
        json={"name": "n", "message": "Hoy {{oferta}}", "recipients": people},
        headers=auth,
    )
    plan = second.json()["plan"]
    assert plan["balance"]["enough"] is False and plan["balance"]["last"] == "50.00"
    assert any("does not cover the campaign" in w for w in plan["warnings"])
    people[3]["fields"]["oferta"] = "envío GRATIS"
    refused = priced_api.post(
        "/v1/campaigns",
        json={"name": "n", "message": "Hoy {{oferta}}", "recipients": people},
        headers=auth,
    )
    assert refused.status_code == 422
    assert (
        "'GRATIS'" in refused.json()["detail"] and "'Hoy envío GRATIS'" in refused.json()["detail"]
    )


def test_the_page_and_the_cli_show_the_template_and_the_plan(
    api: TestClient, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = a_tenant(engine)
    created = post_csv(
        api, tenant.auth, cities_csv({"Cali": 3, "Pasto": 2}), message="Promo en {{ciudad}}"
    ).json()
    signed = api.post("/ui/sign-in", data={"key": tenant.key}, follow_redirects=False)
    assert signed.status_code == 303
    page = api.get(f"/ui/campaigns/{created['id']}").text
    assert "Template (2 texts: each number gets its own)" in page
    assert 'id="plan-h">Plan<' in page and "2 texts (2 GSM-7), 2 requests, 5 numbers" in page
    assert "573100000000: Promo en Cali" in page
    from typer.testing import CliRunner

    from dispatcher.cli.main import app as cli

    monkeypatch.setenv("PREGONERO_DATABASE_URL", settings.database_url)
    shown = CliRunner().invoke(
        cli, ["campaign", "status", str(created["id"])], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.output
    assert "2 texts (2 GSM-7), 2 requests, 5 numbers, 5 segments" in shown.output
    assert "Promo en {{ciudad}}" in shown.output
