"""The harness itself: a fresh, migrated Postgres database for the run, emptied before
each test, and a Redis database of the tests' own, flushed before each test."""

from __future__ import annotations

import os

import pytest
import redis
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from dispatcher.store.migrate import alembic_config
from tests.builders import a_tenant
from tests.conftest import redis_db_for
from tests.integration.conftest import reset_state

pytestmark = pytest.mark.integration


def test_the_database_is_fresh_migrated_and_empty(database_url: str, engine: Engine) -> None:
    assert make_url(database_url).database.startswith("pregonero_test_")  # type: ignore[union-attr]
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert conn.execute(text("SELECT count(*) FROM tenant")).scalar() == 0


def test_what_a_test_leaves_behind_is_gone_before_the_next(engine: Engine, redis_url: str) -> None:
    a_tenant(engine, "left-behind")
    client = redis.Redis.from_url(redis_url)
    client.set("left-behind", 1)
    reset_state(engine, redis_url)  # what runs before every integration test
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tenant")).scalar() == 0
    assert client.dbsize() == 0
    client.close()


def test_redis_is_the_tests_own_and_empty(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    assert client.connection_pool.connection_kwargs.get("db") != 0
    assert client.dbsize() == 0
    client.close()


def test_each_parallel_worker_has_databases_of_its_own(database_url: str, redis_url: str) -> None:
    """pytest-xdist runs tests in several processes at once: each has its own Postgres
    database (named with its process id) and its own Redis database number."""
    assert str(os.getpid()) in (make_url(database_url).database or "")
    db = redis.Redis.from_url(redis_url).connection_pool.connection_kwargs.get("db")
    assert db == redis_db_for(os.environ.get("PYTEST_XDIST_WORKER"))
