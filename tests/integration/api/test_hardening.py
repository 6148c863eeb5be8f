"""Hardening II (issue 24), one test per finding fixed here: control characters refused
in one place, uncertain recipients are an operator's to resolve, ``Origin: null`` is a
foreign origin, a key limited to no account is refused, the bearer scheme in any case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dispatcher.domain.status import Role
from dispatcher.errors import ValidationFailed
from dispatcher.settings import Settings, load_settings
from dispatcher.store.apikeys import create_key, list_keys
from tests.builders import a_campaign, a_tenant

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("method", "path", "kw"),
    [
        ("get", "/v1/campaigns", {"params": {"tenant": "\x00"}}),
        ("get", "/ui/campaigns", {"params": {"tenant": "a\x00b"}}),
        ("get", "/v1/suppressions", {"params": {"after": "\x00"}}),
        ("delete", "/v1/suppressions/3105555555", {"params": {"why": "x\x00y"}}),
        ("post", "/v1/suppressions", {"json": {"numbers": ["3105555555"], "reason": "a\x00"}}),
        ("post", "/v1/suppressions", {"json": {"numbers": ["3105555555"], "reason": "a\x07"}}),
        ("get", "/v1/campaigns/%00", {}),
    ],
)
def test_control_characters_get_a_422_never_a_500(
    api: TestClient, engine: Engine, method: str, path: str, kw: dict[str, object]
) -> None:
    operator = a_tenant(engine, role=Role.OPERATOR)
    answer = getattr(api, method)(path, headers=operator.auth, **kw)
    assert answer.status_code == 422, answer.text
    assert "control character" in answer.json()["detail"]


def test_line_breaks_in_a_message_are_fine(api: TestClient, engine: Engine) -> None:
    tenant = a_tenant(engine)
    r = api.post(
        "/v1/campaigns",
        json={"name": "n", "message": "Hola\nhasta\tluego", "recipients": ["3100000001"]},
        headers=tenant.auth,
    )
    assert r.status_code == 201, r.text


def test_uncertain_recipients_are_an_operators_to_resolve(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    tenant = a_tenant(engine)
    cid = a_campaign(engine, settings, tenant.id, ["573100000001"])
    for action, params in (("requeue-uncertain", {}), ("close-uncertain", {"as": "accepted"})):
        refused = api.post(f"/v1/campaigns/{cid}/{action}", params=params, headers=tenant.auth)
        assert refused.status_code == 403 and "operator" in refused.json()["detail"]
        operator = a_tenant(engine, role=Role.OPERATOR)
        done = api.post(f"/v1/campaigns/{cid}/{action}", params=params, headers=operator.auth)
        assert done.status_code == 200 and done.json()["recipients"] == 0


def test_a_form_with_origin_null_is_refused(api: TestClient, engine: Engine) -> None:
    tenant = a_tenant(engine)
    answer = api.post(
        "/ui/sign-in",
        data={"key": tenant.key},
        headers={"Origin": "null"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "ui_session" not in answer.cookies


def test_a_key_limited_to_no_account_is_refused(engine: Engine) -> None:
    with pytest.raises(ValidationFailed, match="no provider account"):
        create_key(engine, "acme-none", accounts=[])
    create_key(engine, "acme-some", accounts=["default"])
    shown = {k.tenant: k.accounts for k in list_keys(engine)}
    assert shown["acme-some"] == ("default",)


def test_the_bearer_scheme_in_any_case(api: TestClient, engine: Engine, migrated_url: str) -> None:
    tenant = a_tenant(engine)
    for scheme in ("bearer", "BEARER", "Bearer"):
        got = api.get("/v1/campaigns", headers={"Authorization": f"{scheme} {tenant.key}"})
        assert got.status_code == 200, scheme
    from dispatcher.api.app import create_app

    guarded = load_settings(database_url=migrated_url, metrics_token="m-secret-token")
    with TestClient(create_app(guarded, engine)) as client:
        for scheme in ("bearer", "BEARER", "Bearer"):
            got = client.get("/metrics", headers={"Authorization": f"{scheme} m-secret-token"})
            assert got.status_code == 200, scheme
        assert (
            client.get("/metrics", headers={"Authorization": "Basic m-secret-token"}).status_code
            == 401
        )


def test_failed_keys_and_sign_ins_are_throttled_per_address(
    api: TestClient, engine: Engine
) -> None:
    tenant = a_tenant(engine)
    bad = {"Authorization": "Bearer pgo_nope_nope"}
    answers = [api.get("/v1/campaigns", headers=bad).status_code for _ in range(21)]
    assert answers == [401] * 20 + [429]
    limited = api.get("/v1/campaigns", headers=bad)
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    # a good key from the same address waits too: the address is what is counted
    assert api.get("/v1/campaigns", headers=tenant.auth).status_code == 429
    page = api.post("/ui/sign-in", data={"key": tenant.key}, follow_redirects=False)
    assert page.status_code == 429 and "try again in" in page.text


def test_sign_in_failures_count_too(api: TestClient, engine: Engine) -> None:
    tenant = a_tenant(engine)
    for _ in range(20):
        assert api.post("/ui/sign-in", data={"key": "pgo_x_y"}).status_code == 401
    assert api.get("/v1/campaigns", headers=tenant.auth).status_code == 429


def test_a_key_limited_to_an_account_sees_and_steers_only_its_campaigns(
    migrated_url: str, engine: Engine
) -> None:
    from dispatcher.api.app import create_app

    two = load_settings(
        database_url=migrated_url,
        accounts=[
            {"name": "oneway", "user": "u1", "token": "t1", "methods": ["1via"]},
            {"name": "twoway", "user": "u2", "token": "t2", "methods": ["2via"]},
        ],
    )
    tenant = a_tenant(engine)
    limited = {"Authorization": f"Bearer {create_key(engine, tenant.name, accounts=['oneway'])}"}
    with TestClient(create_app(two, engine)) as api:
        mine = api.post(
            "/v1/campaigns",
            json={"name": "1", "message": "hola", "recipients": ["3100000001"]},
            headers=limited,
        ).json()["id"]
        other = api.post(
            "/v1/campaigns",
            json={"name": "2", "message": "hola", "method": "2via", "recipients": ["3100000002"]},
            headers=tenant.auth,
        ).json()["id"]
        listed = api.get("/v1/campaigns", headers=limited).json()["items"]
        assert [c["id"] for c in listed] == [mine]
        for path in ("", "/recipients", "/texts", "/replies"):
            assert api.get(f"/v1/campaigns/{other}{path}", headers=limited).status_code == 404
        for action in ("pause", "resume", "cancel"):
            assert api.post(f"/v1/campaigns/{other}/{action}", headers=limited).status_code == 404
        assert api.get(f"/v1/campaigns/{mine}", headers=limited).status_code == 200
        assert api.get(f"/v1/campaigns/{other}", headers=tenant.auth).status_code == 200
        today = datetime.now(UTC).date()
        summary = api.get(
            "/v1/reports/summary",
            params={
                "from": str(today - timedelta(days=2)),
                "to": str(today + timedelta(days=2)),
                "group": "campaign",
            },
            headers=limited,
        ).json()
        assert other not in [row["campaign_id"] for row in summary["rows"]]
        api.cookies.clear()
        assert (
            api.post("/ui/sign-in", data={"key": limited["Authorization"][7:]}).status_code == 200
        )
        assert api.get(f"/ui/campaigns/{other}").status_code == 404
        assert f'/ui/campaigns/{other}"' not in api.get("/ui/campaigns").text


def test_a_tenants_suppressions_are_its_own(api: TestClient, engine: Engine) -> None:
    acme, globex = a_tenant(engine), a_tenant(engine)
    added = api.post(
        "/v1/suppressions",
        json={"numbers": ["3105555555"], "reason": "globex debtor lawsuit 2026"},
        headers=globex.auth,
    )
    assert added.status_code == 200, added.text
    seen = api.get("/v1/suppressions/3105555555", headers=acme.auth).json()
    assert seen["suppressed"] == []  # another tenant's entry, and its reason, are not acme's
    own = api.get("/v1/suppressions/3105555555", headers=globex.auth).json()["suppressed"]
    assert [(s["reason"], s["tenant_id"]) for s in own] == [
        ("globex debtor lawsuit 2026", globex.id)
    ]
    body = {"name": "n", "message": "hola", "recipients": ["3105555555", "3105555556"]}
    acme_counts = api.post("/v1/campaigns", json=body, headers=acme.auth).json()["counts"]
    globex_counts = api.post("/v1/campaigns", json=body, headers=globex.auth).json()["counts"]
    assert (acme_counts["suppressed"], globex_counts["suppressed"]) == (0, 1)


def test_everyones_entries_read_in_general_words(api: TestClient, engine: Engine) -> None:
    from dispatcher.domain.status import SuppressionSource
    from dispatcher.store import suppressions

    acme = a_tenant(engine)
    with engine.begin() as conn:
        suppressions.add(
            conn, ["default"], ["573107777777"], reason="opted_out",
            source=SuppressionSource.REPLY, by="reply 42 from 573107777777",
        )  # fmt: skip
    [entry] = api.get("/v1/suppressions/3107777777", headers=acme.auth).json()["suppressed"]
    assert (entry["reason"], entry["by"], entry["tenant_id"]) == ("opted out", None, 0)
    operator = a_tenant(engine, role=Role.OPERATOR)
    [full] = api.get("/v1/suppressions/3107777777", headers=operator.auth).json()["suppressed"]
    assert full["by"] == "reply 42 from 573107777777"


def test_adding_suppressions_is_rate_limited_per_tenant(api: TestClient, engine: Engine) -> None:
    acme, globex = a_tenant(engine), a_tenant(engine)
    answers = [
        api.post("/v1/suppressions", json={"numbers": [f"31000000{i:02d}"]}, headers=acme.auth)
        for i in range(31)
    ]
    assert [a.status_code for a in answers] == [200] * 30 + [429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    other = api.post("/v1/suppressions", json={"numbers": ["3100000099"]}, headers=globex.auth)
    assert other.status_code == 200


def test_apikey_create_refuses_an_empty_account_list(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from dispatcher.cli.main import app as cli

    monkeypatch.setenv("PREGONERO_DATABASE_URL", settings.database_url)
    made = CliRunner().invoke(cli, ["apikey", "create", "--tenant", "acme-empty", "--accounts", ""])
    assert made.exit_code != 0
    assert "--accounts names no account" in made.output
    assert "acme-empty" not in {k.tenant for k in list_keys(engine)}


def test_a_body_sent_without_a_length_is_checked_too(api: TestClient, engine: Engine) -> None:
    tenant = a_tenant(engine)

    def chunks() -> object:
        yield b'{"numbers": ["3105555555"], '
        yield b'"reason": "a\\u0000b"}'

    answer = api.post(
        "/v1/suppressions",
        content=chunks(),  # type: ignore[arg-type]
        headers={**tenant.auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422 and "control character" in answer.json()["detail"]
