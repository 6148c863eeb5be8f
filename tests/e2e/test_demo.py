"""The README's first command, exactly as a new user runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def demo_databases(pg_server_url: str) -> set[str]:
    conninfo = make_url(pg_server_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'pregonero_e2e_%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_make_demo_sends_a_campaign_and_cleans_up(pg_server_url: str) -> None:
    before = demo_databases(pg_server_url)
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
    assert "Campaign completed: {'accepted': 5000, 'invalid': 3}" in out
    assert "numbers accepted twice: 0" in out
    assert demo_databases(pg_server_url) == before  # its database is dropped
