"""Every integration test starts from clean state: empty tables (the schema stays
migrated), an empty Redis database, a reset simulator."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import Engine, text

from dispatcher.store.tables import Base


def reset_state(engine: Engine, redis_url: str) -> None:
    """Empty every table (the schema stays) and the tests' Redis database."""
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def clean_state(engine: Engine, redis_url: str) -> None:
    reset_state(engine, redis_url)
