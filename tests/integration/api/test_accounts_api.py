"""Who may do what: tenants see their accounts' state, operators steer them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, update

from dispatcher.settings import Settings
from dispatcher.store.tables import ProviderAccount
from tests.builders import a_tenant

pytestmark = pytest.mark.integration

TWO_ACCOUNTS = json.dumps(
    [
        {"name": "oneway", "user": "u1", "token": "t1", "methods": ["1via", "flash"]},
        {"name": "twoway", "user": "u2", "token": "t2", "methods": ["2via"], "block_interval_s": 3},
    ]
)


def campaign(**extra: Any) -> dict[str, Any]:
    return {"name": "c", "message": "hola", "recipients": ["3102111111"], **extra}


def test_a_tenant_sees_why_its_account_waits_but_not_the_balance(
    api: TestClient, engine: Engine
) -> None:
    tenant, operator = a_tenant(engine), a_tenant(engine, role="operator")  # type: ignore[arg-type]
    assert api.post("/v1/campaigns", json=campaign(), headers=tenant.auth).status_code == 201
    with engine.begin() as conn:
        conn.execute(update(ProviderAccount).values(last_balance=Decimal(1234)))
    mine = api.get("/v1/account", headers=tenant.auth).json()
    assert mine["name"] == "default" and mine["state"] in ("sending", mine["state"])
    assert mine["window"]["hours"] == "08:00-21:00" and mine["block_interval_s"] == 2.0
    assert mine["last_balance"] is None and mine["checked_at"] is None
    assert api.get("/v1/account", headers=operator.auth).json()["last_balance"] == "1234.00"
    assert api.get("/v1/account").status_code == 401


def test_only_an_operator_pauses_or_resumes_a_shared_account(
    api: TestClient, engine: Engine
) -> None:
    tenant, operator = a_tenant(engine), a_tenant(engine, role="operator")  # type: ignore[arg-type]
    for path in ("/v1/account/pause", "/v1/account/resume", "/v1/accounts/default/pause"):
        refused = api.post(path, headers=tenant.auth)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"] == "application/problem+json"
        assert "operator" in refused.json()["detail"]
    paused = api.post("/v1/accounts/default/pause", headers=operator.auth).json()
    assert paused["paused"] and paused["pause_reason"] == "operator"
    seen = api.get("/v1/account", headers=tenant.auth).json()  # the tenant sees why it waits
    assert seen["paused"] and seen["state"].startswith("paused by an operator")
    assert not api.post("/v1/account/resume", headers=operator.auth).json()["paused"]
    assert api.post("/v1/accounts/nope/pause", headers=operator.auth).status_code == 404


def test_an_operator_sees_and_steers_every_tenants_campaigns(
    api: TestClient, engine: Engine
) -> None:
    one, two = a_tenant(engine), a_tenant(engine)
    operator = a_tenant(engine, role="operator")  # type: ignore[arg-type]
    cid = api.post("/v1/campaigns", json=campaign(), headers=one.auth).json()["id"]
    assert api.get(f"/v1/campaigns/{cid}", headers=two.auth).status_code == 404
    assert api.get(f"/v1/campaigns/{cid}", headers=operator.auth).status_code == 200
    listed = api.get("/v1/campaigns", headers=operator.auth).json()["items"]
    assert [c["id"] for c in listed] == [cid]
    assert (
        api.post(f"/v1/campaigns/{cid}/pause", headers=operator.auth).json()["status"] == "paused"
    )


@pytest.fixture
def two_accounts(api: TestClient, settings: Settings) -> Settings:
    from dispatcher.settings import load_settings

    configured = load_settings(
        database_url=settings.database_url, accounts=json.loads(TWO_ACCOUNTS)
    )
    api.app.state.settings = configured  # type: ignore[attr-defined]
    return configured


def test_campaigns_are_bound_to_an_account_that_serves_their_method(
    api: TestClient, engine: Engine, two_accounts: Settings
) -> None:
    tenant = a_tenant(engine)
    bound = {
        method: api.post("/v1/campaigns", json=campaign(method=method), headers=tenant.auth)
        for method in ("1via", "2via", "flash")
    }
    accounts = {
        m: api.get(f"/v1/campaigns/{r.json()['id']}", headers=tenant.auth).json()["account"]
        for m, r in bound.items()
    }
    assert accounts == {"1via": "oneway", "2via": "twoway", "flash": "oneway"}
    named = api.post(
        "/v1/campaigns", json=campaign(method="1via", account="twoway"), headers=tenant.auth
    )
    assert named.status_code == 422 and "does not send 1via" in named.json()["detail"]
    assert named.json()["errors"][0]["field"] == "account"
    unknown = api.post("/v1/campaigns", json=campaign(account="nope"), headers=tenant.auth)
    assert unknown.status_code == 422 and "oneway, twoway" in unknown.text
    listed = api.get("/v1/accounts", headers=tenant.auth).json()
    assert [(a["name"], a["methods"], a["block_interval_s"]) for a in listed] == [
        ("oneway", ["1via", "flash"], 2.0),
        ("twoway", ["2via"], 3.0),
    ]
    # each campaign's ETA is at its own account's pace: 2,500 numbers are three blocks
    numbers = [f"310{i:07d}" for i in range(2_500)]
    etas = {
        m: api.post(
            "/v1/campaigns", json={**campaign(method=m), "recipients": numbers}, headers=tenant.auth
        ).json()["id"]
        for m in ("1via", "2via")
    }
    assert {
        m: api.get(f"/v1/campaigns/{cid}", headers=tenant.auth).json()["eta_s"]
        for m, cid in etas.items()
    } == {"1via": 6.0, "2via": 9.0}


def test_a_key_restricted_to_some_accounts(
    api: TestClient, engine: Engine, two_accounts: Settings
) -> None:
    tenant = a_tenant(engine, accounts=["oneway"])
    assert api.post("/v1/campaigns", json=campaign(), headers=tenant.auth).status_code == 201
    refused = api.post("/v1/campaigns", json=campaign(method="2via"), headers=tenant.auth)
    assert refused.status_code == 422 and "no provider account this key may use" in refused.text
    forbidden = api.post(
        "/v1/campaigns", json=campaign(method="2via", account="twoway"), headers=tenant.auth
    )
    assert forbidden.status_code == 403 and "may not use account" in forbidden.text
    assert [a["name"] for a in api.get("/v1/accounts", headers=tenant.auth).json()] == ["oneway"]
    assert api.get("/v1/accounts/twoway", headers=tenant.auth).status_code == 404


def test_metrics_need_the_token_when_one_is_set(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    assert api.get("/metrics").status_code == 200  # no token set: open, as before
    api.app.state.settings = settings.model_copy(update={"metrics_token": SecretStr("s3cret")})  # type: ignore[attr-defined]
    assert api.get("/metrics").status_code == 401
    assert api.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    scraped = api.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert scraped.status_code == 200 and "pregonero_campaigns_needing_attention" in scraped.text


def test_an_account_that_open_campaigns_name_but_is_not_configured_is_listed(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    """Campaigns stored on ``default``; then the API runs with oneway and twoway only,
    and a worker elsewhere lacks twoway."""
    from dispatcher.store import processes

    tenant, operator = a_tenant(engine), a_tenant(engine, role="operator")  # type: ignore[arg-type]
    for _ in range(2):
        assert api.post("/v1/campaigns", json=campaign(), headers=tenant.auth).status_code == 201
    from dispatcher.settings import load_settings

    api.app.state.settings = load_settings(  # type: ignore[attr-defined]
        database_url=settings.database_url, accounts=json.loads(TWO_ACCOUNTS)
    )
    with engine.begin() as conn:
        processes.announce(conn, "worker", ["oneway"])
    listed = {a["name"]: a for a in api.get("/v1/accounts", headers=operator.auth).json()}
    assert list(listed) == ["oneway", "twoway", "default"]
    gone = listed["default"]
    assert gone["configured"] is False and gone["open_campaigns"] == 2
    assert gone["state"] == "not configured here (PREGONERO_ACCOUNTS): 2 open campaigns on it wait"
    assert listed["oneway"]["configured"] is True and listed["oneway"]["missing_from"] == []
    lacking = listed["twoway"]
    assert lacking["configured"] is False
    assert lacking["missing_from"] == [processes.this_process("worker")]
    assert "not configured in 1 running process(es)" in lacking["state"]
    # a tenant does not see which hosts run what
    mine = {a["name"]: a for a in api.get("/v1/accounts", headers=tenant.auth).json()}
    assert mine["twoway"]["missing_from"] == [] and mine["twoway"]["configured"] is False
    metrics = api.get("/metrics").text
    assert 'pregonero_account_configured{account="default"} 0.0' in metrics
    assert 'pregonero_account_configured{account="oneway"} 1.0' in metrics
    assert 'pregonero_account_configured{account="twoway"} 0.0' in metrics
    # and `celery -A workers sms status` says it too
    from dispatcher.cli.system import status_lines

    lines = status_lines(engine, api.app.state.settings)  # type: ignore[attr-defined]
    assert any(
        line.startswith("  default: not configured here (PREGONERO_ACCOUNTS): 2 open")
        for line in lines
    ), lines
    assert f"    not in PREGONERO_ACCOUNTS of: {processes.this_process('worker')}" in lines
