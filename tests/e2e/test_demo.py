"""The README's first command, exactly as a new user runs it, and the demo stopped by
SIGTERM in the middle of its campaign."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from dispatcher.dev.services import port_open

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def demo_databases(pg_server_url: str) -> set[str]:
    conninfo = make_url(pg_server_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'pregonero_e2e_%'"
        ).fetchall()
    return {r[0] for r in rows}


def processes_using(database: str) -> list[int]:
    """Processes whose environment points at this database: the demo's own."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"/{database}".encode() in environ and b"PREGONERO_DATABASE_URL" in environ:
            found.append(int(entry.name))
    return found


def test_make_demo_sends_a_campaign_and_cleans_up(pg_server_url: str) -> None:
    result = subprocess.run(
        ["make", "demo"],
        cwd=ROOT,
        env={**os.environ, "PREGONERO_TEST_DATABASE_URL": pg_server_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "the provider's real pace" in out
    assert re.search(r"Campaign \d+ completed: 5,000 accepted, 3 invalid\.", out)
    assert "numbers accepted twice: 0" in out
    assert re.search(r"Account default: sending; balance \d+", out)  # as an operator sees it
    lines = out.splitlines()
    keys = [line for line in lines if re.fullmatch(r"pgo_[0-9a-f]{8}_\S+", line)]
    assert len(keys) == 2  # a tenant's and an operator's, each alone on its line
    assert "Operator key (every tenant's campaigns" in out
    exports = [line for line in lines if line.startswith("export PREGONERO_")]
    assert {e.split("=")[0].removeprefix("export ") for e in exports} >= {
        "PREGONERO_DATABASE_URL",
        "PREGONERO_REDIS_URL",
        "PREGONERO_BROKER_URL",
        "PREGONERO_PROVIDER_SEND_URL",
        "PREGONERO_PROVIDER_BALANCE_URL",
    }
    assert re.search(r"Flower +http://127\.0\.0\.1:\d+ +login demo / \S+", out)
    assert re.search(r"API +http://127\.0\.0\.1:\d+ +\(OpenAPI: http://\S+/docs\)", out)
    assert re.search(r"Page +http://127\.0\.0\.1:\d+/ui +\(sign in with one of the keys", out)
    assert ". .venv/bin/activate" in out
    [url] = [e.split("=", 1)[1] for e in exports if e.startswith("export PREGONERO_DATABASE_URL=")]
    own = make_url(url.strip("'\"")).database
    assert own is not None and own.startswith("pregonero_e2e_")
    assert own not in demo_databases(pg_server_url)  # its database is dropped
    assert not list(ROOT.glob("celerybeat-schedule*"))


def test_sigterm_stops_everything_the_demo_started(pg_server_url: str, tmp_path: Path) -> None:
    """``make demo ARGS=...`` passes its options; the demo makes one tenant, the one whose
    keys it prints; SIGTERM stops it all."""
    import psutil

    log = (tmp_path / "demo.log").open("w+")
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "demo", "ARGS=--numbers 50000 --speed 4"],
        cwd=ROOT,
        env={**os.environ, "PREGONERO_TEST_DATABASE_URL": pg_server_url},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while "Submitted campaign" not in (tmp_path / "demo.log").read_text():
        assert proc.poll() is None, (tmp_path / "demo.log").read_text()
        assert time.monotonic() < deadline, "the demo did not submit its campaign"
        time.sleep(0.2)
    out = (tmp_path / "demo.log").read_text()
    database = re.search(r"export PREGONERO_DATABASE_URL=\S+/(pregonero_e2e_\w+)", out)
    redis_port = re.search(r"export PREGONERO_REDIS_URL=redis://127\.0\.0\.1:(\d+)", out)
    api_port = re.search(r"API +http://127\.0\.0\.1:(\d+)", out)
    assert database and redis_port and api_port, out
    assert processes_using(database.group(1))  # its workers, beat, API and Flower run
    assert "4x the real pace" in out
    own = make_url(pg_server_url).set(drivername="postgresql", database=database.group(1))
    with psycopg.connect(own.render_as_string(False)) as conn:
        tenants = [r[0] for r in conn.execute("SELECT name FROM tenant ORDER BY name")]
    assert tenants == ["demo"]  # no tenant it does not print
    [demo] = psutil.Process(proc.pid).children()  # make's child: pregonero demo
    demo.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    out = (tmp_path / "demo.log").read_text()
    assert "Stopped everything the demo started." in out
    assert processes_using(database.group(1)) == []
    assert not port_open("127.0.0.1", int(redis_port.group(1)))
    assert not port_open("127.0.0.1", int(api_port.group(1)))
    assert database.group(1) not in demo_databases(pg_server_url)
