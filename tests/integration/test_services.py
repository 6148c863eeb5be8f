"""The harness itself: a fresh, migrated Postgres database for the run, emptied before
each test, and a Redis database of the tests' own, flushed before each test."""

from __future__ import annotations

import pytest
import redis
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from dispatcher.store.migrate import alembic_config
from tests.builders import a_tenant

pytestmark = pytest.mark.integration


def test_the_database_is_fresh_migrated_and_empty(database_url: str, engine: Engine) -> None:
    assert make_url(database_url).database.startswith("pregonero_test_")  # type: ignore[union-attr]
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert conn.execute(text("SELECT count(*) FROM tenant")).scalar() == 0


def test_rows_of_one_test_are_gone_in_the_next_part_1(engine: Engine) -> None:
    a_tenant(engine, "left-behind")


def test_rows_of_one_test_are_gone_in_the_next_part_2(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tenant")).scalar() == 0


def test_redis_is_the_tests_own_and_empty(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    assert client.connection_pool.connection_kwargs.get("db") != 0
    assert client.dbsize() == 0
    client.set("left-behind", 1)
    client.close()
