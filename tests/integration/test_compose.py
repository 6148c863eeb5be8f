"""docker-compose.yml is checked without Docker: parsed, its settings validated, and the
commands it declares run (with --help, and `db upgrade` for real)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dispatcher.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= {
        "postgres",
        "redis",
        "migrate",
        "simulator",
        "api",
        "worker",
        "beat",
        "flower",
    }
    assert compose["services"]["redis"]["command"][-4:] == ["--save", "", "--appendonly", "no"]
    assert (ROOT / "Dockerfile").exists()


def test_environment_names_real_settings(compose: dict[str, Any]) -> None:
    known = {f"PREGONERO_{name.upper()}" for name in Settings.model_fields}
    for name, service in compose["services"].items():
        for key in service.get("environment", {}) or {}:
            if key.startswith("PREGONERO_"):
                assert key in known, f"{name}: {key} is not a setting"
    env = compose["services"]["api"]["environment"]
    settings = Settings(**{k.removeprefix("PREGONERO_").lower(): v for k, v in env.items()})
    assert settings.database_url.endswith("/pregonero")


def test_declared_commands_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        command = service.get("command")
        if not command or command[0] not in ("pregonero", "celery"):
            continue
        argv = [str(BIN / command[0]), *command[1:]]
        cut = argv.index("--host") if "--host" in argv else len(argv)
        probe = [*argv[:cut], "--help"] if name != "migrate" else argv[:3] + ["--help"]
        result = subprocess.run(probe, capture_output=True, text=True, timeout=60, env=os.environ)
        assert result.returncode == 0, f"{name}: {' '.join(probe)}\n{result.stderr[-2000:]}"


def test_migrate_command_runs(compose: dict[str, Any], pg_server_url: str) -> None:
    from dispatcher.dev import services as devservices

    url = devservices.create_database(pg_server_url, "pregonero_compose_check")
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
    finally:
        devservices.drop_database(pg_server_url, "pregonero_compose_check")
