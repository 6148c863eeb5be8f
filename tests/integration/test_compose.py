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
