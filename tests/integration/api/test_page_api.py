"""What the page's new-campaign form, templates, suppressions and number search use,
over /v1: saved templates per tenant, the message preview, test campaigns, finding a
number, and the session's token authorising the page's own changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dispatcher.domain.status import Role
from dispatcher.settings import Settings
from tests.builders import Numbers, a_tenant
from tests.integration.api.test_ui import csrf_of, sign_in

pytestmark = pytest.mark.integration


def test_templates_are_kept_per_tenant_and_checked(api: TestClient, engine: Engine) -> None:
    mine, theirs = a_tenant(engine), a_tenant(engine)
    body = {
        "name": "Cobro",
        "message": "Hola {{nombre}}, su saldo vence hoy",
        "purpose": "collection",
    }
    made = api.post("/v1/templates", json=body, headers=mine.auth)
    assert made.status_code == 201, made.text
    saved = made.json()
    assert made.headers["location"] == f"/v1/templates/{saved['id']}"
    assert saved["purpose"] == "collection" and saved["method"] == "1via"
    again = api.post("/v1/templates", json=body, headers=mine.auth)
    assert again.status_code == 409 and "Cobro" in again.json()["detail"]
    # Another tenant never sees, changes or deletes it; it may use the same name.
    assert api.get("/v1/templates", headers=theirs.auth).json()["items"] == []
    path = f"/v1/templates/{saved['id']}"
    assert api.get(path, headers=theirs.auth).status_code == 404
    assert api.put(path, json=body, headers=theirs.auth).status_code == 404
    assert api.delete(path, headers=theirs.auth).status_code == 404
    assert api.post("/v1/templates", json=body, headers=theirs.auth).status_code == 201
    changed = api.put(path, json={**body, "message": "Hola {{nombre|cliente}}"}, headers=mine.auth)
    assert changed.json()["message"] == "Hola {{nombre|cliente}}"
    assert [t["name"] for t in api.get("/v1/templates", headers=mine.auth).json()["items"]] == [
        "Cobro"
    ]
    for bad, words in (
        ({**body, "message": "Hola {{ nombre"}, "not a placeholder"),
        ({**body, "message": "  "}, "empty"),
        ({**body, "message": "x" * 766}, "at most 765"),
        ({**body, "name": " "}, "name"),
        ({**body, "purpose": "spam"}, "purpose"),
    ):
        refused = api.post("/v1/templates", json=bad, headers=mine.auth)
        assert refused.status_code == 422 and words in refused.text, bad
    assert api.delete(path, headers=mine.auth).status_code == 204
    assert api.get(path, headers=mine.auth).status_code == 404


def test_the_preview_counts_the_message_and_renders_the_files_first_rows(
    api: TestClient, engine: Engine
) -> None:
    tenant = a_tenant(engine)
    sample = "celular;nombre;ciudad\n3102111111;Ana;Cali\n3102111112;;Pasto\nabc;Luis;Neiva\n"
    answer = api.post(
        "/v1/messages/preview",
        json={"message": "Hola {{nombre}} de {{ciudad}} ✓ “oferta”", "sample": sample},
        headers=tenant.auth,
    )
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert got["message"]["encoding"] == "UCS-2" and got["message"]["ucs2_chars"] == ["✓", "“", "”"]
    assert got["columns"] == ["celular", "nombre", "ciudad"] and got["number_column"] == "celular"
    assert got["placeholders"] == ["nombre", "ciudad"]
    first, missing, bad = got["rows"]
    assert first["text"] == "Hola Ana de Cali ✓ “oferta”" and first["msisdn"] == "573102111111"
    assert "{{nombre}}" in missing["problem"]
    assert "not a number" in bad["problem"]
    assert "08:00-21:00" in got["starts"]  # the window now, open or shut (unit-tested)
    # Transliterated: the quotes convert, the check mark has no GSM-7 equivalent.
    converted = api.post(
        "/v1/messages/preview",
        json={"message": "“Canción” en Bogotá…", "transliterate": True},
        headers=tenant.auth,
    ).json()
    assert converted["transliterated"] == '"Cancion" en Bogota...'
    assert converted["sent"] == {"chars": 22, "encoding": "GSM-7", "segments": 1, "ucs2_chars": []}
    # An unknown placeholder is listed, not raised: the form shows it as it is typed.
    unknown = api.post(
        "/v1/messages/preview",
        json={"message": "Hola {{apellido}}", "sample": sample},
        headers=tenant.auth,
    ).json()
    assert any("{{apellido}}" in p for p in unknown["problems"]) and unknown["rows"] == []
    assert api.post("/v1/messages/preview", json={"message": "x"}).status_code == 401


def test_a_test_campaign_goes_to_at_most_five_numbers_and_says_it_is_a_test(
    api: TestClient, engine: Engine
) -> None:
    tenant = a_tenant(engine)
    numbers = Numbers()
    body = {"name": "prueba", "message": "Hola", "test": True, "recipients": numbers(5)}
    made = api.post("/v1/campaigns", json=body, headers=tenant.auth)
    assert made.status_code == 201, made.text
    listed = api.get(f"/v1/campaigns/{made.json()['id']}", headers=tenant.auth).json()
    assert listed["test"] is True
    too_many = api.post(
        "/v1/campaigns", json={**body, "recipients": numbers(6)}, headers=tenant.auth
    )
    assert too_many.status_code == 413 and "more than 5 numbers" in too_many.json()["detail"]


def test_finding_a_number_shows_every_campaign_that_had_it_within_the_callers_reach(
    api: TestClient, engine: Engine
) -> None:
    mine, theirs = a_tenant(engine), a_tenant(engine)
    operator = a_tenant(engine, role=Role.OPERATOR)
    number = "3109876543"
    ids = []
    for who, name in ((mine, "first"), (mine, "second"), (theirs, "theirs")):
        body = {"name": name, "message": "Hola", "recipients": [number, "3109876544"]}
        ids.append(api.post("/v1/campaigns", json=body, headers=who.auth).json()["id"])
    api.post("/v1/suppressions", json={"numbers": [number], "reason": "asked"}, headers=mine.auth)
    seen = api.get(f"/v1/numbers/{number}", headers=mine.auth).json()
    assert seen["msisdn"] == "573109876543"
    assert [c["campaign_id"] for c in seen["campaigns"]] == [ids[1], ids[0]]
    assert seen["campaigns"][0]["status"] == "pending"
    assert [s["reason"] for s in seen["suppressed"]] == ["asked"]
    everywhere = api.get(f"/v1/numbers/{number}", headers=operator.auth).json()
    assert [c["campaign_id"] for c in everywhere["campaigns"]] == ids[::-1]
    assert api.get("/v1/numbers/abc", headers=mine.auth).status_code == 422


def test_the_pages_own_script_changes_through_v1_with_the_session_token(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    tenant = a_tenant(engine)
    sign_in(api, tenant.key)
    token = csrf_of(api.get("/ui/campaigns").text)
    body = {"name": "Saludo", "message": "Hola"}
    assert api.post("/v1/templates", json=body).status_code == 401
    made = api.post("/v1/templates", json=body, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    assert api.get("/v1/templates", headers=tenant.auth).json()["items"][0]["name"] == "Saludo"


def test_the_templates_page_saves_edits_and_deletes_through_its_forms(
    api: TestClient, engine: Engine
) -> None:
    tenant, other = a_tenant(engine), a_tenant(engine)
    sign_in(api, tenant.key)
    token = csrf_of(api.get("/ui/templates").text)
    form = {"csrf": token, "name": "Aviso", "message": "Hola {{nombre}}", "purpose": "commercial"}
    assert api.post("/ui/templates", data={**form, "csrf": "forged"}).status_code == 403
    saved = api.post("/ui/templates", data={**form, "method": "1via"})
    assert saved.url.path == "/ui/templates" and "The template is saved." in saved.text
    [made] = api.get("/v1/templates").json()["items"]
    wrong = api.post("/ui/templates", data={**form, "id": made["id"], "message": "Hola {{"})
    assert wrong.status_code == 422 and "not a placeholder" in wrong.text
    assert "Hola {{" in wrong.text  # what was typed is kept
    edited = api.post("/ui/templates", data={**form, "id": made["id"], "message": "Hola!"})
    assert edited.status_code == 200 and "Hola!" in edited.text
    sign_in(api, other.key)
    assert "Aviso" not in api.get("/ui/templates").text
    assert "Aviso" not in api.get("/ui/campaigns/new").text
    sign_in(api, tenant.key)
    page = api.get("/ui/campaigns/new")
    assert page.status_code == 200 and 'data-message="Hola!"' in page.text
    assert '<script src="/ui/static/compose.js" defer></script>' in page.text
    token = csrf_of(page.text)  # this session's
    deleted = api.post(f"/ui/templates/{made['id']}/delete", data={"csrf": token})
    assert "The template is deleted." in deleted.text
    assert api.get("/v1/templates").json()["items"] == []


def test_an_operator_removes_a_suppression_only_with_a_reason_and_finds_the_number(
    api: TestClient, engine: Engine
) -> None:
    operator = a_tenant(engine, role=Role.OPERATOR)
    tenant = a_tenant(engine)
    number = "3107771234"
    for name in ("one", "two"):
        body = {"name": name, "message": "Hola", "recipients": [number]}
        assert api.post("/v1/campaigns", json=body, headers=tenant.auth).status_code == 201
    sign_in(api, tenant.key)
    token = csrf_of(api.get("/ui/suppressions").text)
    added = api.post("/ui/suppressions/add", data={"csrf": token, "numbers": f"{number}, abc"})
    assert "Added 1" in added.text and "invalid: 1" in added.text
    assert api.get("/ui/suppressions/remove", params={"msisdn": number}).status_code == 403
    sign_in(api, operator.key)
    listed = api.get("/ui/suppressions", params={"msisdn": number})
    assert "573107771234" in listed.text and "customer_request" in listed.text
    token = csrf_of(listed.text)
    form = {"csrf": token, "msisdn": "573107771234", "account": ""}
    refused = api.post("/ui/suppressions/remove", data={**form, "why": " "})
    assert refused.status_code == 422 and "Say why" in refused.text
    assert "573107771234" in api.get("/ui/suppressions", params={"msisdn": number}).text
    done = api.post("/ui/suppressions/remove", data={**form, "why": "added by mistake"})
    assert "The number is off the list" in done.text
    assert "That number is on no list." in done.text or "573107771234" not in done.text
    found = api.get("/ui/numbers", params={"msisdn": number})
    assert found.text.count('<tr data-id="') == 2 and "Not suppressed" in found.text
    assert tenant.name in found.text  # an operator sees whose campaigns
    imported = api.post(
        "/ui/suppressions/add",
        data={"csrf": token, "reason": "rne"},
        files={"file": ("lista.csv", b"celular\n3107771234\n3107771235\n", "text/csv")},
    )
    assert "Added 2" in imported.text, imported.text
    bad = api.get("/ui/numbers", params={"msisdn": "abc"})
    assert "is not a phone number" in bad.text


def test_removing_a_number_two_tenants_suppressed_on_one_account_removes_both(
    api: TestClient, engine: Engine
) -> None:
    first, second = a_tenant(engine), a_tenant(engine)
    operator = a_tenant(engine, role=Role.OPERATOR)
    for tenant in (first, second):
        body = {"numbers": ["3105550000"], "reason": "asked"}
        assert api.post("/v1/suppressions", json=body, headers=tenant.auth).status_code == 200
    gone = api.delete(
        "/v1/suppressions/3105550000", params={"why": "both asked back"}, headers=operator.auth
    )
    assert gone.status_code == 200, gone.text
    assert gone.json()["removed_from"] == ["default"]
    left = api.get("/v1/suppressions/3105550000", headers=operator.auth).json()
    assert left["suppressed"] == [] and len(left["removed"]) == 2
