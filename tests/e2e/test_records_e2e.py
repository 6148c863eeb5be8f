"""Issue 23's acceptance, end to end: a stack (API, worker, beat, simulator) whose clock
runs ahead to a Tuesday (``CLOCK_OFFSET_S``), commercial messages limited to one a week,
an exclusion list, erasure and retention through the operator's command line.

The tests run in order on one stack; retention, which moves the clock a year ahead,
comes last."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.domain.window import colombian_holidays

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("records-e2e")]
BOGOTA = ZoneInfo("America/Bogota")
PERSON, LISTED, OTHER = "573209990001", "573209990002", "573209990003"


def next_working_tuesday(now: datetime) -> datetime:
    """10:00 on the next Tuesday that is not a public holiday, nor the week's Monday
    (the next week's first permitted moment must be a Monday's 07:00)."""
    holiday = colombian_holidays()
    day = now.astimezone(BOGOTA).date() + timedelta(days=1)
    while day.weekday() != 1 or holiday(day) or holiday(day + timedelta(days=6)):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=BOGOTA)


TUESDAY = next_working_tuesday(datetime.now(UTC))
OFFSET_S = (TUESDAY - datetime.now(UTC)).total_seconds()


INTERVAL = 0.2
STACK_ENV = {  # the shared module stack (tests/e2e/conftest.py) with these settings
    "PREGONERO_CLOCK_OFFSET_S": f"{OFFSET_S:.0f}",
    "PREGONERO_CONTACT_LIMITS": '{"commercial": "1/week", "collection": "1/day"}',
    "PREGONERO_PRIVACY_KEY": "a-secret-kept-with-the-backups",
}


@pytest.fixture(scope="module")
def client(stack: Stack, api: str) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {stack.tenant_key}"}
    with httpx.Client(base_url=api, headers=auth, timeout=30) as http:
        yield http


def cli(stack: Stack, *args: str, offset_s: float = OFFSET_S) -> str:
    """``pregonero ...`` with the stack's settings, run in this process (what the
    command does is the same; starting Python again for it costs a second of CPU)."""
    from typer.testing import CliRunner

    from dispatcher.cli.main import app
    from dispatcher.settings import reset_settings_cache

    env = {**stack.settings_env, "COLUMNS": "200", "PREGONERO_CLOCK_OFFSET_S": f"{offset_s:.0f}"}
    reset_settings_cache()
    try:
        done = CliRunner().invoke(app, list(args), env=env)
    finally:
        reset_settings_cache()
    assert done.exit_code == 0, done.output
    return done.stdout


def create(client: httpx.Client, numbers: list[str], purpose: str) -> dict[str, object]:
    body = {"name": purpose, "message": "Hola", "purpose": purpose, "recipients": numbers}
    r = client.post("/v1/campaigns", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def finished(stack: Stack, campaign_id: object) -> None:
    wait_until(lambda: stack.campaign_status(int(str(campaign_id))) == "completed", 60, "done")


def exported(client: httpx.Client, campaign_id: object) -> list[dict[str, str]]:
    r = client.get(f"/v1/campaigns/{campaign_id}/recipients", params={"format": "csv"})
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


def test_once_a_week_a_number_reached_on_tuesday_waits_for_next_week(
    stack: Stack, client: httpx.Client
) -> None:
    first = create(client, [PERSON], "commercial")
    finished(stack, first["id"])
    second = create(client, [PERSON, OTHER], "commercial")
    assert second["counts"]["reached_today"] == 1  # type: ignore[index]
    assert any("reached this week" in w for w in second["plan"]["warnings"])  # type: ignore[index]
    monday = (TUESDAY + timedelta(days=6)).replace(hour=7)

    def waits() -> bool:
        d = client.get(f"/v1/campaigns/{second['id']}").json()
        return bool(d["waiting_reason"] == "contact_limit" and d["recipients"]["accepted"] == 1)

    wait_until(waits, 60, "the campaign to say it waits for the contact limit")
    detail = client.get(f"/v1/campaigns/{second['id']}").json()
    assert datetime.fromisoformat(detail["next_send_at"].replace("Z", "+00:00")) == monday
    assert detail["state"].startswith("waiting until ")
    assert "one message a week (1/week) per number" in detail["state"]
    assert detail["recipients"] == {**detail["recipients"], "accepted": 1, "pending": 1}
    metrics = httpx.get(str(client.base_url) + "/metrics").text
    assert 'pregonero_campaigns{status="running",waiting_reason="contact_limit"} 1.0' in metrics
    accepted = stack.sim.sim.accepted
    assert sorted(accepted) == sorted([PERSON, OTHER]) and len(accepted[PERSON]) == 1


def test_a_listed_number_is_skipped_by_commercial_campaigns_only(
    stack: Stack, client: httpx.Client, tmp_path: Path
) -> None:
    listed = tmp_path / "rne.csv"
    listed.write_text(f"numero\n{LISTED}\n")
    out = cli(stack, "exclusions", "import", str(listed), "--list", "rne", "--purposes",
              "commercial", "--source", "CRC")  # fmt: skip
    assert "1 numbers; 1 added, 0 removed, 0 invalid of 1 read" in " ".join(out.split())
    commercial = create(client, [LISTED, "573209990004"], "commercial")
    assert commercial["counts"]["on_exclusion_lists"] == {"rne": 1}  # type: ignore[index]
    transactional = create(client, [LISTED], "transactional")
    finished(stack, commercial["id"])
    finished(stack, transactional["id"])
    rows = {r["msisdn"]: r for r in exported(client, commercial["id"])}
    assert (rows[LISTED]["status"], rows[LISTED]["reason"]) == ("suppressed", "list:rne")
    assert [r["status"] for r in exported(client, transactional["id"])] == ["accepted"]
    assert LISTED in stack.sim.sim.accepted  # the transactional message reached it


def test_erasure_removes_a_number_from_every_export_and_keeps_it_suppressed(
    stack: Stack, client: httpx.Client
) -> None:
    had = [c["id"] for c in client.get("/v1/campaigns").json()["items"]]
    found = json.loads(cli(stack, "privacy", "find", "--number", PERSON))
    assert {c["campaign_id"] for c in found["campaigns"]} >= {min(had)}
    done = json.loads(
        cli(stack, "privacy", "erase", "--number", PERSON, "--why", "solicitud 2026-118")
    )
    assert done["changed"]["recipients"] >= 2 and done["changed"]["pending_suppressed"] == 1
    for campaign_id in had:
        for path in ("recipients?format=csv", "evidence"):
            r = client.get(f"/v1/campaigns/{campaign_id}/{path}")
            assert r.status_code == 200 and PERSON not in r.text, (campaign_id, path)
    day = datetime.now(BOGOTA).date()
    report = client.get(
        "/v1/reports/outcomes",
        params={"from": str(day - timedelta(days=1)), "to": str(day + timedelta(days=1)),
                "format": "csv"},
    )  # fmt: skip
    assert report.status_code == 200 and PERSON not in report.text
    assert done["hash"] in report.text
    later = create(client, [PERSON, "573209990005"], "transactional")
    assert later["counts"]["suppressed"] == 1  # type: ignore[index]
    finished(stack, later["id"])
    rows = {r["msisdn"]: r for r in exported(client, later["id"])}
    assert (rows[PERSON]["status"], rows[PERSON]["reason"]) == ("suppressed", "erased")


def test_retention_a_year_later_keeps_the_counts_and_the_export_answers_410(
    stack: Stack, client: httpx.Client
) -> None:
    done = [c for c in client.get("/v1/campaigns").json()["items"] if c["status"] == "completed"]
    assert done
    year_later = OFFSET_S + 400 * 86400
    listed = cli(stack, "retention", "run", "--dry-run", offset_s=year_later)
    assert "would delete" in listed and f"of {len(done)} campaigns" in listed
    cli(stack, "retention", "run", offset_s=year_later)
    for campaign in done:
        detail = client.get(f"/v1/campaigns/{campaign['id']}").json()
        assert detail["recipients"] == campaign["recipients"]  # the counts stay
        gone = client.get(f"/v1/campaigns/{campaign['id']}/recipients", params={"format": "csv"})
        assert gone.status_code == 410
        assert "deleted by retention on" in gone.json()["detail"]
        assert "keep their recipients 365 days" in gone.json()["detail"]
    waiting = [c for c in client.get("/v1/campaigns").json()["items"] if c["status"] == "running"]
    assert waiting and all(exported(client, c["id"]) for c in waiting)  # not finished: kept
