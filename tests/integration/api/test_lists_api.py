"""The suppression list and the reports by date range, over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.builders import Numbers, a_campaign, a_tenant

pytestmark = pytest.mark.integration


def today() -> date:
    """Bogotá's date when the test's campaign was stored (read then, not at import: the
    suite may run across midnight)."""
    return datetime.now(ZoneInfo("America/Bogota")).date()


def q(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


# -- suppressions -------------------------------------------------------------------------
def test_a_tenant_adds_a_few_numbers_and_looks_one_up(api: TestClient, engine: Engine) -> None:
    tenant = a_tenant(engine)
    added = api.post(
        "/v1/suppressions",
        json={"numbers": ["+57 310 211 1111", "3102111112", "3102111112", "nope"]},
        headers=tenant.auth,
    )
    assert added.status_code == 200, added.text
    body = added.json()
    assert (body["read"], body["added"], body["already"], body["invalid"], body["repeated"]) == (
        4,
        2,
        0,
        1,
        1,
    )
    assert body["invalid_sample"][0]["line"] == 4
    again = api.post("/v1/suppressions", json={"numbers": ["3102111111"]}, headers=tenant.auth)
    assert (again.json()["added"], again.json()["already"]) == (0, 1)
    assert q(engine, "SELECT DISTINCT source, by LIKE 'key %' FROM suppression") == [
        ("tenant", True)
    ]
    one = api.get("/v1/suppressions/3102111111", headers=tenant.auth).json()
    assert one["msisdn"] == "573102111111" and one["suppressed"][0]["reason"] == "customer_request"
    assert one["removed"] == []  # the audit is an operator's


def test_bulk_import_export_and_removal_need_an_operator(api: TestClient, engine: Engine) -> None:
    tenant, operator = a_tenant(engine), a_tenant(engine, role="operator")  # type: ignore[arg-type]
    numbers = Numbers()(1500)
    bulk = "msisdn\n" + "\n".join(numbers) + "\n"
    csv_headers = {"Content-Type": "text/csv"}
    refused = api.post("/v1/suppressions", content=bulk, headers={**tenant.auth, **csv_headers})
    assert refused.status_code == 403 and "operator" in refused.json()["detail"]
    assert q(engine, "SELECT count(*) FROM suppression") == [(0,)]  # nothing half-stored
    assert api.get("/v1/suppressions", headers=tenant.auth).status_code == 403
    assert (
        api.delete(f"/v1/suppressions/{numbers[0]}?why=asked", headers=tenant.auth).status_code
        == 403
    )

    imported = api.post(
        "/v1/suppressions?reason=rne",
        content=bulk,
        headers={**operator.auth, **csv_headers},
    )
    assert imported.status_code == 200 and imported.json()["added"] == 1500
    page = api.get("/v1/suppressions?limit=1000", headers=operator.auth).json()
    assert len(page["items"]) == 1000 and page["next_after"]
    rest = api.get(f"/v1/suppressions?after={page['next_after']}", headers=operator.auth).json()
    assert len(rest["items"]) == 500 and rest["next_after"] is None
    exported = api.get("/v1/suppressions?format=csv", headers=operator.auth).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 1500 and {r["reason"] for r in rows} == {"rne"}

    no_reason = api.delete(f"/v1/suppressions/{numbers[0]}", headers=operator.auth)
    assert no_reason.status_code == 422  # why is required: it is audited
    gone = api.delete(
        f"/v1/suppressions/{numbers[0]}?why=the+customer+asked+again", headers=operator.auth
    )
    assert gone.status_code == 200 and gone.json()["removed_from"] == ["default"]
    audit = api.get(f"/v1/suppressions/{numbers[0]}", headers=operator.auth).json()
    assert audit["suppressed"] == []
    [removal] = audit["removed"]
    assert removal["why"] == "the customer asked again" and removal["reason"] == "rne"
    assert removal["removed_by"].startswith("key ") and removal["source"] == "import"
    missing = api.delete(f"/v1/suppressions/{numbers[0]}?why=again", headers=operator.auth)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"numbers": "3102111111"}, 422),
        ({}, 422),
        ({"numbers": ["3102111111"], "account": "nope"}, 422),
        ({"numbers": ["3102111111"], "color": "red"}, 422),
        ({"numbers": [["3102111111"]]}, 422),
    ],
)
def test_bad_suppression_bodies(
    api: TestClient, engine: Engine, body: dict[str, Any], status: int
) -> None:
    tenant = a_tenant(engine)
    answer = api.post("/v1/suppressions", json=body, headers=tenant.auth)
    assert answer.status_code == status, answer.text
    assert q(engine, "SELECT count(*) FROM suppression") == [(0,)]


# -- reports ------------------------------------------------------------------------------
def _sent(engine: Engine, campaign_id: int, status: str = "accepted") -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE recipient SET status = :s, code = 1, provider_ref = '=cmd', "
                "updated_at = now() WHERE campaign_id = :c AND status = 'pending'"
            ),
            {"c": campaign_id, "s": status},
        )
        conn.execute(
            text(
                "UPDATE campaign SET n_pending = 0, n_accepted = sendable, updated_at = now() "
                "WHERE id = :c"
            ),
            {"c": campaign_id},
        )


def test_outcomes_by_date_range_for_the_tenant_only(
    api: TestClient, engine: Engine, settings: Any
) -> None:
    mine, other = a_tenant(engine), a_tenant(engine)
    numbers = Numbers()
    cid = a_campaign(engine, settings, mine.id, [*numbers(3), "garbage"])
    _sent(engine, cid)
    a_campaign(engine, settings, other.id, numbers(2))
    day = today().isoformat()
    page = api.get(f"/v1/reports/outcomes?from={day}&to={day}", headers=mine.auth).json()
    assert sorted(r["status"] for r in page["items"]) == ["accepted"] * 3 + ["invalid"]
    assert {r["campaign_id"] for r in page["items"]} == {cid}
    csv_text = api.get(
        f"/v1/reports/outcomes?from={day}&to={day}&format=csv", headers=mine.auth
    ).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == 4 and rows[0]["provider_ref"] == "'=cmd"  # a formula is escaped
    yesterday = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    empty = api.get(f"/v1/reports/outcomes?from={yesterday}&to={yesterday}", headers=mine.auth)
    assert empty.json()["items"] == []
    paged = api.get(f"/v1/reports/outcomes?from={day}&to={day}&limit=3", headers=mine.auth)
    rest = api.get(
        f"/v1/reports/outcomes?from={day}&to={day}&after={paged.json()['next_after']}",
        headers=mine.auth,
    )
    assert len(paged.json()["items"]) == 3 and len(rest.json()["items"]) == 1


def test_summary_by_day_and_by_campaign(api: TestClient, engine: Engine, settings: Any) -> None:
    tenant = a_tenant(engine)
    numbers = Numbers()
    first = a_campaign(engine, settings, tenant.id, numbers(3))
    _sent(engine, first)
    a_campaign(engine, settings, tenant.id, [*numbers(2), "x"])
    day = today().isoformat()
    by_day = api.get(f"/v1/reports/summary?from={day}&to={day}", headers=tenant.auth).json()
    [row] = by_day["rows"]
    assert row["day"] == day and row["submitted"] == 6 and row["accepted"] == 3
    assert row["pending"] == 2 and row["invalid"] == 1 and row["segments"] == 3
    by_campaign = api.get(
        f"/v1/reports/summary?from={day}&to={day}&group=campaign", headers=tenant.auth
    ).json()
    assert [r["submitted"] for r in by_campaign["rows"]] == [3, 3]
    assert by_campaign["total"]["submitted"] == 6


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("from=2026-11-30&to=2026-11-01", "reversed"),
        ("from=2024-01-01&to=2026-11-30", "366"),
        ("from=ayer&to=2026-11-30", "YYYY-MM-DD"),
        ("from=2026-11-01", "to"),
    ],
)
def test_bad_ranges_are_422_that_say_why(
    api: TestClient, engine: Engine, query: str, says: str
) -> None:
    tenant = a_tenant(engine)
    for path in ("/v1/reports/outcomes", "/v1/reports/summary", "/v1/inbound"):
        answer = api.get(f"{path}?{query}", headers=tenant.auth)
        assert answer.status_code == 422 and says in answer.text, (path, answer.text)
