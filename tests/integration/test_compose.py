"""docker-compose.yml is checked without Docker: parsed, its settings validated, and the
commands it declares run (with --help, and `db upgrade` for real)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from dispatcher.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OURS = ("migrate", "simulator", "api", "worker", "beat", "flower")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def argv_of(service: dict[str, Any]) -> list[str]:
    """The command a service runs; `sh -c "exec ..."` unwrapped."""
    command = list(service["command"])
    if command[:2] == ["sh", "-c"]:
        command = shlex.split(command[2].replace("$${", "${"))
        command = command[1:] if command[0] == "exec" else command
    return command


def test_one_image_built_once_for_every_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", *OURS}
    assert {services[name]["image"] for name in OURS} == {"pregonero:local"}
    assert [name for name in OURS if "build" in services[name]] == ["migrate"]
    assert all(services[name]["pull_policy"] == "never" for name in OURS if name != "migrate")
    assert services["redis"]["command"][-4:] == ["--save", "", "--appendonly", "no"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip wheel" in dockerfile and " -e " not in dockerfile  # the wheel, migrations in


def test_readiness_and_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "-h" in services["postgres"]["healthcheck"]["test"]  # over TCP
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["migrate"]["restart"] == "on-failure"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker", "beat", "flower"):
        migrate = services[name]["depends_on"]["migrate"]
        assert migrate["condition"] == "service_completed_successfully", name


def test_ports_listen_on_loopback_and_flower_has_a_login(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} to every address"
    assert "--basic-auth=${FLOWER_BASIC_AUTH" in " ".join(argv_of(compose["services"]["flower"]))


def test_environment_names_real_settings(compose: dict[str, Any]) -> None:
    known = {f"PREGONERO_{name.upper()}" for name in Settings.model_fields}
    example = [
        line.lstrip("# ").split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and line.lstrip("# ").startswith("PREGONERO_")
    ]
    assert example and set(example) <= known, set(example) - known
    for name, service in compose["services"].items():
        for key in service.get("environment", {}) or {}:
            if key.startswith("PREGONERO_"):
                assert key in known, f"{name}: {key} is not a setting"
    env = compose["services"]["api"]["environment"]
    settings = Settings(**{k.removeprefix("PREGONERO_").lower(): v for k, v in env.items()})
    assert settings.database_url.endswith("/pregonero")


def test_declared_commands_exist(compose: dict[str, Any]) -> None:
    for name in OURS:
        argv = argv_of(compose["services"][name])
        argv = [str(BIN / argv[0]), *argv[1:]]
        cut = next((i for i, a in enumerate(argv) if a.startswith("--")), len(argv))
        probe = [*argv[:cut], "--help"]
        result = subprocess.run(probe, capture_output=True, text=True, timeout=60, env=os.environ)
        assert result.returncode == 0, f"{name}: {' '.join(probe)}\n{result.stderr[-2000:]}"


def test_migrate_command_creates_the_database_and_the_schema(
    compose: dict[str, Any], pg_server_url: str
) -> None:
    from dispatcher.dev import services as devservices

    name = f"pregonero_compose_{uuid.uuid4().hex[:8]}"
    url = devservices.with_database(pg_server_url, name)
    try:
        command = compose["services"]["migrate"]["command"]
        env = {**os.environ, "PREGONERO_DATABASE_URL": url}
        result = subprocess.run(
            [str(BIN / command[0]), *command[1:]],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "created the database" in result.stderr
    finally:
        devservices.drop_database(pg_server_url, name)


def example_env() -> dict[str, str]:
    """.env.example's settings as docker compose reads them (KEY=VALUE lines)."""
    pairs = (
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


def test_the_example_env_as_it_comes_runs_against_the_simulator(compose: dict[str, Any]) -> None:
    """cp .env.example .env && docker compose up -d: the worker and beat have credentials,
    the provider is the simulator service, Flower has its login."""
    from dispatcher.accounts import require_credentials
    from dispatcher.settings import load_settings

    env = example_env()
    assert env["FLOWER_BASIC_AUTH"].count(":") == 1
    for name in ("worker", "beat"):
        merged = {**env, **compose["services"][name]["environment"]}  # compose's win
        fields = {
            k.removeprefix("PREGONERO_").lower(): v
            for k, v in merged.items()
            if k.startswith("PREGONERO_")
        }
        settings = load_settings(**fields)
        assert len(require_credentials(settings)) == 1
        sim = argv_of(compose["services"]["simulator"])
        port = sim[sim.index("--port") + 1]
        assert settings.provider_send_url.startswith(f"http://simulator:{port}/"), name


def test_the_example_accounts_line_survives_a_shell(tmp_path: Path) -> None:
    """The README's and .env.example's several-accounts line, uncommented and read by
    `set -a; . ./.env`, is still the JSON list."""
    import json

    [line] = [
        raw.lstrip("# ")
        for raw in (ROOT / ".env.example").read_text().splitlines()
        if raw.lstrip("# ").startswith("PREGONERO_ACCOUNTS=")
    ]
    (tmp_path / ".env").write_text(line + "\n")
    read = subprocess.run(
        ["sh", "-c", 'set -a; . ./.env; printf %s "$PREGONERO_ACCOUNTS"'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [a["name"] for a in json.loads(read)] == ["oneway", "twoway"]


def test_services_restart_and_prometheus_finds_every_worker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        expected = "on-failure" if name == "migrate" else "unless-stopped"
        assert service.get("restart") == expected, name
    prometheus = yaml.safe_load((ROOT / "ops/prometheus/prometheus.yml").read_text())
    [workers] = [j for j in prometheus["scrape_configs"] if j["job_name"] == "pregonero-workers"]
    assert workers["dns_sd_configs"] == [
        {"names": ["worker"], "type": "A", "port": 9808, "refresh_interval": "30s"}
    ]
    port = services["worker"]["environment"]["PREGONERO_WORKER_METRICS_PORT"]
    assert int(port) == 9808
    flower = " ".join(argv_of(services["flower"]))
    assert "--max-tasks=" in flower
