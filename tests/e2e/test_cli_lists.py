"""``pregonero suppress`` and ``pregonero report`` as an operator runs them."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dispatcher.dev import services

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent / "pregonero"


@pytest.fixture
def env(pg_server_url: str) -> Iterator[dict[str, str]]:
    name = f"pregonero_e2e_{uuid.uuid4().hex[:8]}"
    environ = {**os.environ, "PREGONERO_DATABASE_URL": services.with_database(pg_server_url, name)}
    assert run(environ, "db", "upgrade").returncode == 0
    yield environ
    services.drop_database(pg_server_url, name)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=120)


def test_suppress_import_add_remove_export(env: dict[str, str], tmp_path: Path) -> None:
    listed = tmp_path / "rne.csv"
    listed.write_text("msisdn\n" + "".join(f"31{i:08d}\n" for i in range(20_000)) + "basura\n")
    imported = run(env, "suppress", "import", str(listed), "--reason", "rne")
    assert imported.returncode == 0, imported.stderr
    assert "20,001 read: 20,000 added, 0 already there, 1 invalid" in imported.stdout
    assert "line 20002" in imported.stdout
    again = run(env, "suppress", "add", "3100000000", "+57 300 000 0001")
    assert "1 added (1 already there)" in again.stdout, again.stdout + again.stderr
    refused = run(env, "suppress", "remove", "3100000000")
    assert refused.returncode != 0 and "--why" in refused.stderr
    removed = run(env, "suppress", "remove", "3100000000", "--why", "asked in writing")
    assert removed.returncode == 0 and "removed from default" in removed.stdout
    exported = run(env, "suppress", "export")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 20_000 and "573100000000" not in {r["msisdn"] for r in rows}
    assert "Traceback" not in run(env, "suppress", "add", "nope").stderr


def test_reports_to_a_file(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "apikey", "create", "--tenant", "acme").returncode == 0
    numbers = tmp_path / "n.csv"
    numbers.write_text("3102111111\n3102111112\nnope\n")
    submitted = run(
        env,
        "campaign",
        "submit",
        str(numbers),
        "--tenant",
        "acme",
        "--name",
        "=x",
        "--message",
        "hola",
    )
    assert submitted.returncode == 0, submitted.stderr
    today = datetime.now(ZoneInfo("America/Bogota")).date().isoformat()
    out = tmp_path / "outcomes.csv"
    report = run(env, "report", "outcomes", "--from", today, "--to", today, "--out", str(out))
    assert report.returncode == 0, report.stderr
    rows = list(csv.DictReader(out.open()))
    assert sorted(r["status"] for r in rows) == ["invalid", "pending", "pending"]
    summary = run(env, "report", "summary", "--from", today, "--to", today, "--group", "campaign")
    [row] = list(csv.DictReader(io.StringIO(summary.stdout)))
    assert row["campaign_name"] == "'=x" and row["submitted"] == "3"  # escaped for spreadsheets
    reversed_ = run(env, "report", "inbound", "--from", today, "--to", "2020-01-01")
    assert reversed_.returncode == 1 and "reversed" in reversed_.stderr
    assert "Traceback" not in reversed_.stderr
