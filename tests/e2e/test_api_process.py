"""The API as a user runs it: `pregonero db upgrade`, `apikey create`, `pregonero api`,
real HTTP on loopback, and schemathesis against the OpenAPI schema."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dispatcher.dev import services as devservices
from dispatcher.dev.services import listening_port

# One API process for the module: its tests run in the same parallel worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("api-process")]
INBOUND = "fuzz-inbound-secret"
BIN = Path(sys.executable).parent


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "pregonero"), *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def served(pg_server_url: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    name = f"pregonero_e2e_{uuid.uuid4().hex[:8]}"
    url = devservices.create_database(pg_server_url, name)
    env = {**os.environ, "PREGONERO_DATABASE_URL": url, "PREGONERO_INBOUND_SECRET": INBOUND}
    upgraded = cli(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    # Downgrade to nothing and up again: the migrations work both ways on a real database.
    assert cli(env, "db", "downgrade", "base").returncode == 0
    assert cli(env, "db", "upgrade").returncode == 0
    created = cli(env, "apikey", "create", "--tenant", "acme", "--label", "e2e")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n" and key.startswith("pgo_")  # the key alone on stdout
    proc = subprocess.Popen(
        [str(BIN / "pregonero"), "api", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{listening_port(proc, 'the API')}"
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "the API exited"
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the API did not become ready"
        time.sleep(0.2)
    yield base, key, env
    proc.terminate()
    proc.wait(20)
    devservices.drop_database(pg_server_url, name)


def test_submit_and_export_over_http(served: tuple[str, str, dict[str, str]]) -> None:
    base, key, env = served
    auth = {"Authorization": f"Bearer {key}"}
    body = "msisdn\n" + "".join(f"+57 310 {i:07d}\n" for i in range(1, 1501)) + "no\n"
    r = httpx.post(
        base + "/v1/campaigns",
        params={"name": "e2e", "message": "hola"},
        content=body.encode(),
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["counts"]["sendable"] == 1500 and created["chunks"] == 2
    export = httpx.get(
        base + created["links"]["recipients"], params={"format": "csv"}, headers=auth
    )
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1501 and rows[-1]["status"] == "invalid"
    assert httpx.get(base + "/docs").status_code == 200
    listed = cli(env, "apikey", "list")
    assert "acme" in listed.stdout and key not in listed.stdout
    prefix = key.split("_")[1]
    assert cli(env, "apikey", "revoke", prefix).returncode == 0
    assert httpx.get(base + "/v1/campaigns", headers=auth).status_code == 401


@pytest.mark.parametrize("role", ["tenant", "operator"])
def test_schemathesis_finds_no_server_error(
    served: tuple[str, str, dict[str, str]], tmp_path: Path, role: str
) -> None:
    base, _key, env = served
    key = cli(env, "apikey", "create", "--tenant", f"fuzz-{role}", "--role", role).stdout.strip()
    # The provider's reply URL is fuzzed with the right secret, so past the 404.
    (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"path.secret" = "{INBOUND}"\n')
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "run",
            base + "/openapi.json",
            "--checks",
            "not_a_server_error",
            "--header",
            f"Authorization: Bearer {key}",
            "--max-examples",
            # `make fuzz-api` digs deeper (FUZZ_EXAMPLES=25); the suite's run is a smoke check
            # (6 an operation keeps the suite within its time on two cores)
            os.environ.get("FUZZ_EXAMPLES", "6"),
            "--generation-deterministic",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # schemathesis keeps a cache in its working directory
        # NUL, control characters and dates at the ends of the calendar, besides the schema
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.e2e.fuzz_hooks",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        },
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "/inbound/{secret}" in result.stdout
