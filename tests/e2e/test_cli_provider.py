"""`pregonero sim` and `pregonero provider ...` as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dispatcher.dev.services import listening_port, refused_port, wait_until

# One simulator process for the module: its tests run in the same parallel worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("cli-provider")]
BIN = Path(sys.executable).parent / "pregonero"


def pasted(printed: str) -> dict[str, str]:
    """The settings a user gets by pasting the ``export`` lines the simulator printed
    into a shell."""
    exports = [line for line in printed.splitlines() if line.startswith("export ")]
    shell = subprocess.run(
        ["sh", "-c", "\n".join([*exports, "env"])],
        env={},
        capture_output=True,
        text=True,
        check=True,
    )
    pairs = (line.split("=", 1) for line in shell.stdout.splitlines() if "=" in line)
    return {k: v for k, v in pairs if k.startswith("PREGONERO_")}


@pytest.fixture(scope="module")
def _sim_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, dict[str, str]]]:
    """``pregonero sim`` as a user starts it, once for the module; the settings are the
    lines it prints, pasted into a shell."""
    printed = tmp_path_factory.mktemp("sim") / "out.txt"
    with printed.open("w") as out:
        proc = subprocess.Popen([str(BIN), "sim", "--port", "0"], stdout=out)
    port = listening_port(proc, "the simulator")  # type: ignore[arg-type]
    wait_until(lambda: "Control API" in printed.read_text(), 30, "its instructions")
    env = {**os.environ, **pasted(printed.read_text())}
    assert set(env) >= {
        "PREGONERO_PROVIDER_SEND_URL",
        "PREGONERO_PROVIDER_BALANCE_URL",
        "PREGONERO_PROVIDER_USER",
        "PREGONERO_PROVIDER_TOKEN",
        "PREGONERO_PROVIDER_PASSWORD",  # the balance query needs it
    }
    assert env["PREGONERO_PROVIDER_SEND_URL"].startswith(f"http://127.0.0.1:{port}/")
    yield port, env
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def sim_process(_sim_process: tuple[int, dict[str, str]]) -> tuple[int, dict[str, str]]:
    """The simulator as it starts: each test begins from a full balance and no faults."""
    port, _env = _sim_process
    httpx.post(f"http://127.0.0.1:{port}/_sim/reset", timeout=10).raise_for_status()
    return _sim_process


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=60)


def test_acceptance_send_and_balance(sim_process: tuple[int, dict[str, str]]) -> None:
    _port, env = sim_process
    before = run(env, "provider", "balance")
    assert before.returncode == 0, before.stderr
    result = run(
        env,
        "provider",
        "send",
        "--to",
        "573001112233,5730011,380123456789",
        "--text",
        "hola",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["msisdn"], r["code"] if r["code"] <= 0 else "ref", r["outcome"]) for r in rows] == [
        ("573001112233", "ref", "accepted"),
        ("5730011", -4, "invalid"),
        ("380123456789", 0, "rejected"),
    ]
    assert rows[0]["provider_ref"] == str(rows[0]["code"])
    assert set(rows[0]) >= {"msisdn", "code", "outcome", "provider_ref"}
    after = run(env, "provider", "balance")
    assert int(after.stdout) == int(before.stdout) - 1


def test_whole_request_error_exit_code_and_message(sim_process: tuple[int, dict[str, str]]) -> None:
    port, env = sim_process
    httpx.post(f"http://127.0.0.1:{port}/_sim/config", json={"balance": 0})
    result = run(env, "provider", "send", "--to", "573001112233", "--text", "hola", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)[0]["outcome"] == "no_balance"
    assert "no balance" in result.stderr


def test_wrong_token_is_explained_and_never_printed(
    sim_process: tuple[int, dict[str, str]],
) -> None:
    _port, env = sim_process
    # Sending authenticates with the token, the balance query with either.
    wrong = {
        **env,
        "PREGONERO_PROVIDER_TOKEN": "wrong-secret-123",
        "PREGONERO_PROVIDER_PASSWORD": "wrong-secret-123",
    }
    sent = run(wrong, "provider", "send", "--to", "573001112233", "--text", "hola")
    balance = run(wrong, "provider", "balance")
    for result in (sent, balance):
        assert result.returncode == 1
        assert "authentication failed" in result.stderr
        assert "wrong-secret-123" not in result.stderr + result.stdout


def test_missing_credentials_and_bad_settings(sim_process: tuple[int, dict[str, str]]) -> None:
    _port, env = sim_process
    missing = run({**env, "PREGONERO_PROVIDER_TOKEN": ""}, "provider", "balance")
    assert missing.returncode == 1 and "PREGONERO_PROVIDER_TOKEN" in missing.stderr
    bad = run({**env, "PREGONERO_CHUNK_SIZE": "6000"}, "provider", "balance")
    assert bad.returncode == 1
    assert "PREGONERO_CHUNK_SIZE=6000: must be at most 5000" in bad.stderr.replace("\n", " ")


def test_provider_down_is_never_sent(sim_process: tuple[int, dict[str, str]]) -> None:
    _port, env = sim_process
    with refused_port() as port:
        env = {**env, "PREGONERO_PROVIDER_SEND_URL": f"http://127.0.0.1:{port}/sendsms"}
        result = run(env, "provider", "send", "--to", "573001112233", "--text", "hola")
    assert result.returncode == 1
    assert "never left" in result.stderr
