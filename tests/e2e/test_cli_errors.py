"""A database that cannot be reached, or does not exist, is one line that says what to
do, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dispatcher.dev.services import free_port

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent / "pregonero"


@pytest.mark.parametrize(
    "args", [["db", "upgrade"], ["apikey", "list"], ["apikey", "create", "--tenant", "x"]]
)
@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://postgres@db.invalid:5432/pregonero", "db.invalid:5432"),
        (f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/pregonero", "Connection refused"),
    ],
)
def test_an_unreachable_database_is_one_line(args: list[str], url: str, says: str) -> None:
    result = subprocess.run(
        [str(BIN), *args],
        env={**os.environ, "PREGONERO_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr
    assert "cannot use Postgres" in result.stderr and says in result.stderr
    assert "PREGONERO_DATABASE_URL" in result.stderr
