"""Every integration test starts from clean state: empty tables (the schema stays
migrated), an empty Redis database, a reset simulator."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import Engine, text

from dispatcher.store.tables import Base


def reset_state(engine: Engine, redis_url: str) -> None:
    """Empty every table (the schema stays), restart the ids, and empty the tests' Redis
    database.  DELETE, children first, rather than TRUNCATE: a test leaves a few rows, and
    TRUNCATE makes new files for every table and index (about 50 ms a test against 10)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        sequences = conn.execute(
            text("SELECT sequence_name FROM information_schema.sequences")
        ).scalars()
        for sequence in list(sequences):
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def clean_state(engine: Engine, redis_url: str) -> None:
    reset_state(engine, redis_url)
