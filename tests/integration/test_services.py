"""The harness itself: a fresh Postgres database and a Redis for each run."""

from __future__ import annotations

import psycopg
import pytest
import redis
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration


def test_fresh_database_is_reachable_and_empty(database_url: str) -> None:
    conninfo = (
        make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    with psycopg.connect(conninfo) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
    assert make_url(database_url).database.startswith("pregonero_test_")  # type: ignore[union-attr]
    assert tables is not None


def test_redis_answers(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    client.close()
