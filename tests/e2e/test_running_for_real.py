"""The README's "Running it for real", command by command, on a fresh database (which
`db upgrade` creates), with the simulator as the provider; then the README's first
curl, until the campaign is completed."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dispatcher.dev import services
from dispatcher.dev.services import listening_port, wait_until
from dispatcher.dev.stack import PrivateRedis
from dispatcher.provider.simserver import SimulatorServer
from dispatcher.provider.simulator import SimConfig

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVING = (
    "pregonero api ",
    "celery -A workers worker",
    "celery -A workers beat",
    "celery -A workers flower",
)


def readme_block(heading: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


@pytest.fixture
def env(pg_server_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """What `.env` holds for this run: a database that does not exist yet, a Redis of
    its own, the simulator as the provider."""
    name = f"pregonero_e2e_{uuid.uuid4().hex[:8]}"
    redis = PrivateRedis()
    redis.start()
    sim = SimulatorServer(config=SimConfig(enforce_window=False)).start()
    yield {
        **os.environ,
        "PREGONERO_DATABASE_URL": services.with_database(pg_server_url, name),
        "PREGONERO_REDIS_URL": redis.url,
        "PREGONERO_PROVIDER_SEND_URL": sim.send_url,
        "PREGONERO_PROVIDER_BALANCE_URL": sim.balance_url,
        "PREGONERO_PROVIDER_USER": "demo",
        "PREGONERO_PROVIDER_TOKEN": "demo-token",
        "PREGONERO_PROVIDER_PASSWORD": "demo-password",
        "PREGONERO_SEND_WINDOW": "00:00-24:00",  # whatever the hour the suite runs at
        "HOME": str(tmp_path),
    }
    sim.stop()
    redis.stop()
    services.drop_database(pg_server_url, name)


def test_the_readme_commands_in_order_complete_a_campaign(
    env: dict[str, str], tmp_path: Path
) -> None:
    commands = [
        c for c in readme_block("Running it for real") if c.startswith(("pregonero", "celery"))
    ]
    assert [c.split()[:3] for c in commands][:3] == [
        ["pregonero", "db", "upgrade"],
        ["pregonero", "apikey", "create"],
        ["pregonero", "api", "--host"],
    ]
    ports: dict[str, int] = {}  # what the API and Flower listen on: ports the system picks
    running: list[subprocess.Popen[bytes]] = []
    key = ""
    try:
        for command in commands:
            command = command.replace("--host 0.0.0.0 --port 8000", "--host 127.0.0.1 --port 0")
            if command.startswith("celery -A workers flower"):
                command += " --port=0 --address=127.0.0.1"
            argv = shlex.split(command)
            argv[0] = str(BIN / argv[0])
            if command.startswith(SERVING):
                log = (tmp_path / f"{len(running)}.log").open("wb")
                running.append(
                    subprocess.Popen(
                        argv,
                        env=env,
                        cwd=tmp_path,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
                for name in ("api", "flower"):
                    if command.startswith((f"pregonero {name}", f"celery -A workers {name}")):
                        ports[name] = listening_port(running[-1], name, 60)
                continue
            done = subprocess.run(
                argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, f"{command}\n{done.stderr}"
            if argv[1:3] == ["apikey", "create"]:
                key = done.stdout.strip()
        base = f"http://127.0.0.1:{ports['api']}"

        def ready() -> bool:
            try:
                return httpx.get(base + "/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, 60, "the API")
        submit = (ROOT / "README.md").read_text().split("### Submitting a campaign", 1)[1]
        body = re.search(r"-d '(\{.*?\})'", submit)
        assert body is not None
        auth = {"Authorization": f"Bearer {key}"}
        created = httpx.post(
            base + "/v1/campaigns",
            content=body.group(1),
            headers={
                **auth,
                "Content-Type": "application/json",
                "Idempotency-Key": "promo-2026-11",
            },
        )
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        wait_until(
            lambda: (
                httpx.get(f"{base}/v1/campaigns/{cid}", headers=auth).json()["status"]
                == "completed"
            ),
            60,
            "the campaign to complete",
        )
        detail = httpx.get(f"{base}/v1/campaigns/{cid}", headers=auth).json()
        assert detail["counts"]["by_status"]["accepted"] == 2
        flower = f"http://127.0.0.1:{ports['flower']}"
        assert httpx.get(flower + "/", timeout=5).status_code == 401

        def tasks() -> Counter[str]:
            listed = httpx.get(flower + "/api/tasks", auth=("ops", "secret"), timeout=5).json()
            return Counter(t["name"] for t in listed.values())

        wait_until(lambda: tasks()["pregonero.send_chunk"] >= 1, 30, "Flower to list the send")
        # Housekeeping runs in beat's process: Flower lists sends, and the balance poll.
        assert set(tasks()) <= {"pregonero.send_chunk", "pregonero.poll_balance"}, tasks()
        assert not list(tmp_path.glob("celerybeat-schedule*"))  # beat's state is elsewhere:
        assert list((tmp_path / ".local/state/pregonero").glob("celerybeat-schedule*"))
    finally:
        for proc in running:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in running:
            proc.wait(20)
