"""A campaign row holding a time psycopg cannot read (stored before times were checked)
never breaks a list, the detail, or a send: it reads as no time."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from dispatcher.settings import Settings
from tests.builders import a_campaign, a_tenant

pytestmark = pytest.mark.integration


def test_out_of_range_times_read_as_none(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    tenant = a_tenant(engine)
    cid = a_campaign(engine, settings, tenant.id, ["573100000001"])
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE campaign SET expires_at = '9999-12-31T23:59:59-05:00', "
                "start_at = '0001-01-01T00:00:00+05:00' WHERE id = :c"
            ),
            {"c": cid},
        )
    listed = api.get("/v1/campaigns", headers=tenant.auth)
    assert listed.status_code == 200 and listed.json()["items"][0]["id"] == cid
    detail = api.get(f"/v1/campaigns/{cid}", headers=tenant.auth).json()
    assert detail["expires_at"] is None and detail["start_at"] is None


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2031-01-01T00:00:00Z"]
)
def test_times_far_from_now_are_refused_naming_the_field(
    api: TestClient, engine: Engine, when: str
) -> None:
    tenant = a_tenant(engine)
    for field in ("start_at", "expires_at"):
        r = api.post(
            "/v1/campaigns",
            json={"name": "n", "message": "hola", "recipients": ["3100000001"], field: when},
            headers=tenant.auth,
        )
        assert r.status_code == 422 and field in r.json()["detail"], r.text


@pytest.mark.parametrize("to", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59+14:00"])
def test_report_ranges_check_their_ends_first(api: TestClient, engine: Engine, to: str) -> None:
    tenant = a_tenant(engine)
    for path in ("/v1/reports/outcomes", "/v1/reports/summary", "/v1/inbound"):
        r = api.get(path, params={"from": "2026-11-01", "to": to}, headers=tenant.auth)
        assert r.status_code == 422, (path, r.text)
