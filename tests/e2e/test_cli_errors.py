"""A database that cannot be reached, or does not exist, is one line that says what to
do, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dispatcher.dev.services import refused_port

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent / "pregonero"


_NO_HOST = ("postgresql+psycopg://postgres@db.invalid:5432/pregonero", "db.invalid:5432")
_REFUSED = ("postgresql+psycopg://postgres@127.0.0.1:{refused}/pregonero", "Connection refused")


# Each command once, each way of being unreachable twice (a process start costs a second
# of CPU on a suite that is CPU-bound).
@pytest.mark.parametrize(
    ("args", "url", "says"),
    [
        (["db", "upgrade"], *_NO_HOST),
        (["apikey", "list"], *_REFUSED),
        (["apikey", "create", "--tenant", "x"], *_NO_HOST),
        (["db", "upgrade"], *_REFUSED),
    ],
)
def test_an_unreachable_database_is_one_line(args: list[str], url: str, says: str) -> None:
    with refused_port() as port:
        result = subprocess.run(
            [str(BIN), *args],
            env={**os.environ, "PREGONERO_DATABASE_URL": url.format(refused=port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr
    assert "cannot use Postgres" in result.stderr and says in result.stderr
    assert "PREGONERO_DATABASE_URL" in result.stderr


@pytest.mark.parametrize("role", [["worker"], ["beat", "--schedule", "{tmp}/beat"]])
def test_workers_and_beat_refuse_to_start_without_credentials(
    role: list[str], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREGONERO_PROVIDER_")}
    result = subprocess.run(
        [str(BIN.parent / "celery"), "-A", "workers", *[a.format(tmp=tmp_path) for a in role]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "PREGONERO_PROVIDER_USER and PREGONERO_PROVIDER_TOKEN" in output


def test_tenant_text_is_printed_literally(pg_server_url: str, tmp_path: Path) -> None:
    """A campaign named with Rich markup and a terminal escape sequence."""
    import uuid

    from dispatcher.dev import services

    name = f"pregonero_e2e_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PREGONERO_DATABASE_URL": services.with_database(pg_server_url, name)}
    try:
        assert subprocess.run([str(BIN), "db", "upgrade"], env=env, timeout=120).returncode == 0
        assert (
            subprocess.run(
                [str(BIN), "apikey", "create", "--tenant", "t[red]x"], env=env, capture_output=True
            ).returncode
            == 0
        )
        numbers = tmp_path / "n.csv"
        numbers.write_text("3102111111\n[bold]not a number\n")
        evil = "promo [/bold] x \x1b[2J"
        submitted = subprocess.run(
            [
                str(BIN),
                "campaign",
                "submit",
                str(numbers),
                "--tenant",
                "t[red]x",
                "--name",
                evil,
                "--message",
                "hola",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert submitted.returncode == 0, submitted.stderr
        assert submitted.stdout.startswith("campaign 1 stored\n")
        assert "[bold]not a number" in submitted.stdout
        for args in (["campaign", "list"], ["campaign", "status", "1"]):
            shown = subprocess.run(
                [str(BIN), *args],
                env={**env, "COLUMNS": "200"},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert shown.returncode == 0, shown.stderr
            assert "promo [/bold] x \\x1b[2J" in shown.stdout and "\x1b[2J" not in shown.stdout
        assert (
            "t[red]x"
            in subprocess.run(
                [str(BIN), "campaign", "list"],
                env={**env, "COLUMNS": "200"},
                capture_output=True,
                text=True,
            ).stdout
        )
    finally:
        services.drop_database(pg_server_url, name)


def _sms(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN.parent / "celery"), "-A", "workers", "sms", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_operator_commands_answer_in_one_line(pg_server_url: str, tmp_path: Path) -> None:
    """An unknown id, a database that does not exist, a broker that is down."""
    import uuid

    from dispatcher.dev import services

    name = f"pregonero_e2e_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PREGONERO_DATABASE_URL": services.with_database(pg_server_url, name),
        "PREGONERO_PROVIDER_USER": "u",
        "PREGONERO_PROVIDER_TOKEN": "t",
    }
    try:
        missing = _sms(env, "status")
        assert missing.returncode != 0 and "Traceback" not in missing.stderr
        assert f'database "{name}" does not exist' in missing.stderr
        assert "pregonero db upgrade" in missing.stderr

        assert subprocess.run([str(BIN), "db", "upgrade"], env=env, timeout=120).returncode == 0
        unknown = _sms(env, "requeue-uncertain", "999999")
        assert unknown.returncode != 0 and "Traceback" not in unknown.stderr
        assert len(unknown.stderr.strip().splitlines()) == 1, unknown.stderr
        assert "999999" in unknown.stderr

        with refused_port() as port:
            down = f"redis://:S3cretPW@127.0.0.1:{port}/0"
            paused = _sms(
                {**env, "PREGONERO_BROKER_URL": down, "PREGONERO_REDIS_URL": down}, "pause"
            )
        assert paused.returncode == 0, paused.stderr
        assert "Traceback" not in paused.stdout + paused.stderr
        assert "pause is recorded in the database" in paused.stdout
        assert "telling the workers failed" in paused.stdout
        assert "S3cretPW" not in paused.stdout + paused.stderr
        status = _sms(env, "status")
        assert "default: paused by an operator" in status.stdout
    finally:  # the database this test made
        services.drop_database(pg_server_url, name)


@pytest.mark.parametrize(
    "argv",
    [
        ["celery", "-A", "workers", "worker", "--pool", "solo"],
        ["celery", "-A", "workers", "beat", "--schedule", "{tmp}/beat"],
        ["pregonero", "api", "--port", "0"],
    ],
)
def test_no_process_starts_on_a_database_that_is_not_there(
    argv: list[str], pg_server_url: str, tmp_path: Path
) -> None:
    from sqlalchemy.engine import make_url

    missing = make_url(pg_server_url).set(drivername="postgresql+psycopg", database="nada_aqui")
    env = {
        **os.environ,
        "PREGONERO_DATABASE_URL": missing.render_as_string(hide_password=False),
        "PREGONERO_PROVIDER_USER": "demo",
        "PREGONERO_PROVIDER_TOKEN": "demo-token",
    }
    result = subprocess.run(
        [str(BIN.parent / argv[0]), *[a.format(tmp=tmp_path) for a in argv[1:]]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert 'database "nada_aqui" does not exist' in output
    assert "`pregonero db upgrade` creates it" in output
