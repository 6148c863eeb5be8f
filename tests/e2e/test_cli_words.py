"""What the CLI prints for people: the message, times in TIMEZONE with their offset, and
steering in words."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dispatcher.dev import services

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent / "pregonero"


@pytest.fixture
def env(pg_server_url: str) -> Iterator[dict[str, str]]:
    name = f"pregonero_e2e_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PREGONERO_DATABASE_URL": services.with_database(pg_server_url, name),
        "PREGONERO_PROVIDER_USER": "u",
        "PREGONERO_PROVIDER_TOKEN": "t",
        "COLUMNS": "200",
        "PREGONERO_SEND_WINDOW": "00:00-24:00",  # the same words at any hour the suite runs
    }
    subprocess.run([str(BIN), "db", "upgrade"], env=env, check=True, capture_output=True)
    yield env
    services.drop_database(pg_server_url, name)


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d GMT-5"  # TIMEZONE's wall clock, to the minute, labelled


def test_status_list_and_steering_read_as_words(env: dict[str, str], tmp_path: Path) -> None:
    run(env, "apikey", "create", "--tenant", "acme")
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("celular\n3102111111\n3102111112\n")
    stored = run(
        env,
        "campaign", "submit", str(numbers), "--tenant", "acme", "--name", "Aviso",
        "--message", "Su pago vence el viernes",
    )  # fmt: skip
    cid = re.search(r"campaign (\d+) stored", stored).group(1)  # type: ignore[union-attr]
    status = run(env, "campaign", "status", cid)
    assert "Su pago vence el viernes" in status  # the message is shown
    assert re.search(r"state[ │]+queued to send", status), status
    listed = run(env, "campaign", "list")
    assert re.search(STAMP, listed), listed
    assert re.search(STAMP, run(env, "apikey", "list"))
    assert run(env, "campaign", "pause", cid).strip() == f"campaign {cid}: paused"
    assert run(env, "campaign", "resume", cid).strip() == f"campaign {cid}: scheduled"
    said = run(env, "campaign", "cancel", cid).strip()
    assert said == f"campaign {cid}: cancelled (2 unsent numbers cancelled)"
    assert "cancelled before any number was sent" in run(env, "campaign", "status", cid)
