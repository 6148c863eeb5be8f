"""Exclusion lists by purpose, retention, a data subject's requests and the evidence
export, through the API and the CLI against a real Postgres."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from dispatcher.cli.main import app as cli
from dispatcher.domain.status import Role
from dispatcher.settings import Settings
from dispatcher.store import partitions, retention
from tests.builders import Numbers, a_tenant

pytestmark = pytest.mark.integration
NUMBERS = Numbers(8_800_000)


def q(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def words(output: str) -> str:
    """CLI output with its line wrapping undone (the console's width varies)."""
    return " ".join(output.split())


def post(api: TestClient, auth: dict[str, str], numbers: list[str], **spec: Any) -> Any:
    body = {"name": "c", "message": "hola", "purpose": "transactional", **spec}
    r = api.post("/v1/campaigns", json={**body, "recipients": numbers}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def put_list(
    api: TestClient, auth: dict[str, str], name: str, numbers: list[str], *purposes: str, **q: Any
) -> Any:
    body = "numero\n" + "".join(f"{n}\n" for n in numbers)
    return api.put(
        f"/v1/exclusion-lists/{name}",
        params={"purposes": list(purposes), **q},
        content=body,
        headers={**auth, "Content-Type": "text/csv"},
    )


def test_a_list_keeps_its_numbers_out_of_commercial_campaigns_only(
    api: TestClient, engine: Engine
) -> None:
    operator, tenant = a_tenant(engine, role=Role.OPERATOR), a_tenant(engine)
    listed, other = NUMBERS(2), NUMBERS(2)
    name = f"rne{listed[0][-4:]}"
    assert put_list(api, tenant.auth, name, listed, "commercial").status_code == 403
    r = put_list(api, operator.auth, name, [*listed, "basura"], "commercial", source="CRC")
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("size", "added", "removed", "invalid")} == {
        "size": 2, "added": 2, "removed": 0, "invalid": 1,
    }  # fmt: skip
    lists = api.get("/v1/exclusion-lists", headers=operator.auth).json()
    mine = next(x for x in lists["items"] if x["name"] == name)
    assert (mine["purposes"], mine["size"], mine["age_days"], mine["source"]) == (
        ["commercial"], 2, 0, "CRC",
    )  # fmt: skip
    commercial = post(api, tenant.auth, listed + other, purpose="commercial")
    assert commercial["counts"]["suppressed"] == 2
    assert commercial["counts"]["on_exclusion_lists"] == {name: 2}
    assert any(f"2 on {name}" in w for w in commercial["plan"]["warnings"])
    rows = api.get(f"/v1/campaigns/{commercial['id']}/recipients", headers=tenant.auth).json()[
        "items"
    ]
    assert {r["msisdn"]: r["reason"] for r in rows if r["status"] == "suppressed"} == {
        n: f"list:{name}" for n in listed
    }
    transactional = post(api, tenant.auth, listed, purpose="transactional")
    assert transactional["counts"]["sendable"] == 2  # a transactional message still goes
    # a new content replaces the old one whole: one kept, one removed, one added
    again = put_list(api, operator.auth, name, [listed[0], other[0]], "commercial")
    assert {k: again.json()[k] for k in ("size", "added", "removed")} == {
        "size": 2, "added": 1, "removed": 1,
    }  # fmt: skip
    wrong = put_list(api, operator.auth, name, ["nombre", "Ana"], "commercial")
    assert wrong.status_code == 422 and f"the list {name} keeps its 2 numbers" in wrong.text
    exported = api.get(f"/v1/exclusion-lists/{name}/numbers", headers=operator.auth).text
    assert exported.split() == ["msisdn", *sorted([listed[0], other[0]])]
    assert api.delete(f"/v1/exclusion-lists/{name}", headers=operator.auth).status_code == 204
    assert api.get(f"/v1/exclusion-lists/{name}/numbers", headers=operator.auth).status_code == 404


def test_a_stale_list_makes_a_commercial_plan_warn(api: TestClient, engine: Engine) -> None:
    operator, tenant = a_tenant(engine, role=Role.OPERATOR), a_tenant(engine)
    name = f"old{NUMBERS(1)[0][-5:]}"
    taken = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    assert put_list(api, operator.auth, name, NUMBERS(1), "commercial", taken_at=taken).is_success
    plan = post(api, tenant.auth, NUMBERS(1), purpose="commercial")["plan"]
    assert any(f"exclusion list {name} was taken 40 days ago" in w for w in plan["warnings"])
    api.delete(f"/v1/exclusion-lists/{name}", headers=operator.auth)


def finished_long_ago(engine: Engine, campaign_id: int, days: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE campaign SET status = 'completed', finished_at = now() - make_interval("
                "days => :d) WHERE id = :c"
            ),
            {"d": days, "c": campaign_id},
        )


def test_retention_deletes_old_recipients_and_keeps_the_counts(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    tenant, operator = a_tenant(engine), a_tenant(engine, role=Role.OPERATOR)
    old = post(api, tenant.auth, NUMBERS(3))["id"]
    recent = post(api, tenant.auth, NUMBERS(2))["id"]
    finished_long_ago(engine, old, 400)
    finished_long_ago(engine, recent, 10)
    now = datetime.now(UTC)
    dry = retention.run(engine, now, 365, dry_run=True)
    assert old in [d.campaign_id for d in dry.campaigns]
    assert recent not in [d.campaign_id for d in dry.campaigns]
    assert q(engine, "SELECT count(*) FROM recipient WHERE campaign_id = :c", c=old) == [(3,)]
    done = retention.run(engine, now, 365)
    assert old in [d.campaign_id for d in done.campaigns]
    assert q(engine, "SELECT count(*) FROM recipient WHERE campaign_id = :c", c=old) == [(0,)]
    assert q(engine, "SELECT count(*) FROM recipient WHERE campaign_id = :c", c=recent) == [(2,)]
    detail = api.get(f"/v1/campaigns/{old}", headers=tenant.auth).json()
    assert (detail["sendable"], detail["recipients"]["pending"]) == (3, 3)  # counts stay
    assert detail["recipients_deleted"]["why"].startswith("deleted by retention on ")
    signed = api.post("/ui/sign-in", data={"key": tenant.key}, follow_redirects=False)
    assert signed.status_code == 303
    page = " ".join(api.get(f"/ui/campaigns/{old}").text.split())
    assert "Recipients, texts and replies are no longer kept: deleted by retention on" in page
    assert f"/v1/campaigns/{old}/recipients?format=csv" not in page
    for path in ("recipients", "recipients?format=csv", "texts", "evidence"):
        gone = api.get(f"/v1/campaigns/{old}/{path}", headers=tenant.auth)
        assert gone.status_code == 410, path
        assert "no longer kept: deleted by retention on" in gone.json()["detail"]
        assert "keep their recipients 365 days" in gone.json()["detail"]
    assert api.get(f"/v1/campaigns/{recent}/recipients", headers=operator.auth).is_success
    # a tenant's own, shorter retention
    runner = CliRunner()
    env = {"PREGONERO_DATABASE_URL": settings.database_url}
    shorter = runner.invoke(
        cli, ["tenant", "retention", "--tenant", tenant.name, "--days", "7"], env=env
    )
    assert shorter.exit_code == 0, shorter.output
    listed = runner.invoke(cli, ["retention", "run", "--dry-run"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"campaign {recent} ({tenant.name}): finished" in words(listed.output)
    assert "kept 7 days, 2 rows" in words(listed.output)
    assert q(engine, "SELECT count(*) FROM recipient WHERE campaign_id = :c", c=recent) == [(2,)]


def test_retention_drops_a_partition_whose_campaigns_are_all_past_it(
    pg_server_url: str,
) -> None:
    from dispatcher.dev import services
    from dispatcher.settings import load_settings
    from dispatcher.store.db import make_engine
    from dispatcher.store.migrate import upgrade
    from tests.builders import a_campaign

    name = "pregonero_partition_drop"
    url = services.create_database(pg_server_url, name)
    engine = make_engine(url, pool_size=2)
    try:
        upgrade(url)
        settings = load_settings(database_url=url)
        tenant = a_tenant(engine)
        with engine.begin() as conn:  # the next ids are the last two of a partition
            conn.execute(text(f"SELECT setval('campaign_id_seq', {2 * partitions.WIDTH - 3})"))
        ids = [a_campaign(engine, settings, tenant.id, NUMBERS(2)) for _ in range(3)]
        assert ids == [2 * partitions.WIDTH - 2, 2 * partitions.WIDTH - 1, 2 * partitions.WIDTH]
        for campaign_id in ids[:2]:
            finished_long_ago(engine, campaign_id, 400)
        now = datetime.now(UTC)
        swept = retention.run(engine, now, 365)  # the next campaign may still be at intake
        assert swept.partitions_dropped == [] and swept.batches == 2
        ids += [a_campaign(engine, settings, tenant.id, NUMBERS(2)) for _ in range(2)]
        finished_long_ago(engine, ids[-1], 400)
        with engine.begin() as conn:
            conn.execute(text("UPDATE campaign SET purged_at = NULL"))  # due again
            conn.execute(
                text("UPDATE campaign SET created_at = now() - interval '2 hours' WHERE id = :c"),
                {"c": ids[2]},
            )
        swept = retention.run(engine, now, 365)
        assert swept.partitions_dropped == ["recipient_p1"]
        with engine.connect() as conn:
            assert "recipient_p1" not in [p.name for p in partitions.listed(conn)]
        assert q(engine, "SELECT count(*) FROM campaign WHERE purged_at IS NOT NULL") == [(3,)]
        later = a_campaign(engine, settings, tenant.id, NUMBERS(1))  # the next partition
        assert q(engine, "SELECT count(*) FROM recipient WHERE campaign_id = :c", c=later) == [(1,)]
    finally:
        engine.dispose()
        services.drop_database(pg_server_url, name)


@pytest.fixture
def forget_erasures(engine: Engine) -> Iterator[None]:
    """The other tests of this database run without a privacy key."""
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM erased_number"))


@pytest.mark.usefixtures("forget_erasures")
def test_erasure_replaces_the_number_and_keeps_it_suppressed(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    tenant, operator = a_tenant(engine), a_tenant(engine, role=Role.OPERATOR)
    person, other = NUMBERS(1)[0], NUMBERS(1)[0]
    first = post(api, tenant.auth, [person, other])["id"]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO inbound_message (msisdn, text, campaign_id, recipient_n) "
                "VALUES (:m, 'soy Ana, no me escriban', :c, 1)"
            ),
            {"m": person, "c": first},
        )
    found = api.get(f"/v1/privacy/numbers/{person}", headers=operator.auth).json()
    assert [c["campaign_id"] for c in found["campaigns"]] == [first]
    assert found["replies"][0]["text"] == "soy Ana, no me escriban"
    assert found["erased"] is None  # this API has no key to tell
    body = {"number": person, "why": "solicitud 2026-118 (Ley 1581)"}
    refused = api.post("/v1/privacy/erasures", json=body, headers=operator.auth)
    assert refused.status_code == 503 and "PREGONERO_PRIVACY_KEY" in refused.json()["detail"]
    assert api.post("/v1/privacy/erasures", json=body, headers=tenant.auth).status_code == 403
    keyed = settings.model_copy(update={"privacy_key": SecretStr("k" * 32)})
    from dispatcher.api.app import create_app

    with TestClient(create_app(keyed, engine)) as with_key:
        done = with_key.post("/v1/privacy/erasures", json=body, headers=operator.auth).json()
        assert done["changed"]["recipients"] == 1 and done["changed"]["replies"] == 1
        digest = done["hash"]
        csv_text = with_key.get(
            f"/v1/campaigns/{first}/recipients?format=csv", headers=tenant.auth
        ).text
        assert person not in csv_text and digest in csv_text
        assert (
            person not in with_key.get(f"/v1/campaigns/{first}/evidence", headers=tenant.auth).text
        )
        replies = q(
            engine, "SELECT msisdn, text FROM inbound_message WHERE campaign_id = :c", c=first
        )
        assert replies == [(digest, "")]
        audit = q(engine, "SELECT by, why FROM erasure_audit WHERE digest = :d", d=digest)
        assert audit == [("key " + operator.key.split("_")[1], "solicitud 2026-118 (Ley 1581)")]
        again = with_key.get(f"/v1/privacy/numbers/{person}", headers=operator.auth).json()
        assert again["campaigns"] == [] and again["erased"] is True
        assert again["erasures"][0]["why"] == "solicitud 2026-118 (Ley 1581)"
        later = with_key.post(
            "/v1/campaigns",
            json={"name": "later", "message": "hola", "recipients": [person, NUMBERS(1)[0]]},
            headers=tenant.auth,
        ).json()
        assert later["counts"]["suppressed"] == 1
        rows = with_key.get(f"/v1/campaigns/{later['id']}/recipients", headers=tenant.auth).json()
        assert [r["reason"] for r in rows["items"] if r["status"] == "suppressed"] == ["erased"]
    # a process without the key cannot tell erased numbers: intake refuses, saying why
    refused_intake = api.post(
        "/v1/campaigns",
        json={"name": "x", "message": "hola", "recipients": [NUMBERS(1)[0]]},
        headers=tenant.auth,
    )
    assert refused_intake.status_code == 503
    assert "PREGONERO_PRIVACY_KEY" in refused_intake.json()["detail"]


def test_the_evidence_says_when_each_number_went_and_under_which_rules(
    api: TestClient, engine: Engine
) -> None:
    tenant = a_tenant(engine)
    created = post(api, tenant.auth, [*NUMBERS(2), "basura"], purpose="commercial")
    cid = created["id"]
    with engine.begin() as conn:  # its block went out
        conn.execute(
            text(
                "UPDATE recipient SET status = 'accepted', provider_ref = 'ref-' || n "
                "WHERE campaign_id = :c AND status = 'pending'"
            ),
            {"c": cid},
        )
        conn.execute(
            text("UPDATE chunk SET status = 'done', claimed_at = now() WHERE campaign_id = :c"),
            {"c": cid},
        )
    r = api.get(f"/v1/campaigns/{cid}/evidence", headers=tenant.auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["status"] for row in rows] == ["accepted", "accepted", "invalid"]
    sent = rows[0]
    assert sent["provider_ref"] == "ref-1" and sent["handed_to_provider_at"]
    assert sent["purpose"] == "commercial" and sent["contact_limit"] == "1/day"
    assert sent["window"].startswith("Mon-Fri 08:00-19:00; Sat 08:00-15:00; Sun closed")
    assert "Ley 2300 de 2023" in sent["ley_2300_hours"]
    assert rows[2]["handed_to_provider_at"] == ""
    other = a_tenant(engine)
    assert api.get(f"/v1/campaigns/{cid}/evidence", headers=other.auth).status_code == 404


def test_the_cli_imports_lists_exports_and_removes_a_list(
    settings: Settings, tmp_path: Path, engine: Engine
) -> None:
    runner = CliRunner()
    env = {"PREGONERO_DATABASE_URL": settings.database_url, "COLUMNS": "200"}
    numbers = NUMBERS(3)
    listed = tmp_path / "baja.txt"
    listed.write_text("".join(f"{n}\n" for n in numbers) + "12\n")
    name = f"baja{numbers[0][-4:]}"
    args = [
        "exclusions",
        "import",
        str(listed),
        "--list",
        name,
        "--purposes",
        "commercial,collection",
    ]
    imported = runner.invoke(cli, args, env=env)
    assert imported.exit_code == 0, imported.output
    assert "3 numbers; 3 added, 0 removed, 1 invalid of 4 read" in words(imported.output)
    shown = words(runner.invoke(cli, ["exclusions", "list"], env=env).output)
    assert f"{name} collection,commercial 3 numbers taken" in shown
    assert "(0 days ago) source baja.txt" in shown
    exported = runner.invoke(cli, ["exclusions", "export", "--list", name], env=env)
    assert exported.stdout.split() == ["msisdn", *numbers]
    bad = runner.invoke(cli, [*args[:4], "Mal Nombre", *args[5:]], env=env)
    assert bad.exit_code != 0 and "is not a list name" in words(bad.output)
    removed = runner.invoke(cli, ["exclusions", "remove", "--list", name], env=env)
    assert removed.exit_code == 0 and f"list {name} removed (3 numbers)" in words(removed.output)


def test_one_retention_run_at_a_time(engine: Engine) -> None:
    with engine.connect() as other:
        other.execute(text(f"SELECT pg_advisory_lock({retention._LOCK})"))
        tenant = a_tenant(engine)
        from dispatcher.settings import load_settings
        from tests.builders import a_campaign

        settings = load_settings(database_url=engine.url.render_as_string(hide_password=False))
        finished_long_ago(engine, a_campaign(engine, settings, tenant.id, NUMBERS(1)), 400)
        with pytest.raises(retention.Busy, match="another retention run is going on"):
            retention.run(engine, datetime.now(UTC), 365)
        other.execute(text(f"SELECT pg_advisory_unlock({retention._LOCK})"))
