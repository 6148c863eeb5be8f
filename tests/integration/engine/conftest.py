from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from dispatcher.provider.simserver import SimulatorServer
from dispatcher.settings import Settings
from tests.integration.engine.harness import EngineHarness, FakeClock, bogota

WEDNESDAY_10 = "2026-11-25 10:00:00"


@pytest.fixture
def h(engine: Engine, settings: Settings, simulator: SimulatorServer) -> Iterator[EngineHarness]:
    harness = EngineHarness(engine, settings, simulator, FakeClock(bogota(WEDNESDAY_10)))
    yield harness
    harness.client.close()
