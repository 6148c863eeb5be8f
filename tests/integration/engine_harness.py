"""Drive the dispatch services in-process: real Postgres and the simulator over HTTP,
the in-memory limiter twin and a fake clock, so every scenario is deterministic and
independent of the hour the suite runs at."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from dispatcher import feeder
from dispatcher.apikeys import create_key
from dispatcher.devstack import submit_numbers
from dispatcher.dispatch import Dispatcher
from dispatcher.provider.client import ProviderClient, ProviderConfig
from dispatcher.provider.simserver import SimulatorServer
from dispatcher.settings import Settings
from workers.limiter import MemoryLimiter

BOGOTA = ZoneInfo("America/Bogota")


def bogota(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=BOGOTA)


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class EngineHarness:
    engine: Engine
    settings: Settings
    sim: SimulatorServer
    clock: FakeClock
    tenant_id: int = 0
    published: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        config = ProviderConfig(
            send_url=self.sim.send_url,
            balance_url=self.sim.balance_url,
            user="demo",
            token="demo-token",
            password="demo-password",
            read_timeout_s=1.0,
        )
        self.client = ProviderClient(config)
        self.limiter = MemoryLimiter()
        self.dispatcher = Dispatcher(
            self.engine,
            self.settings,
            lambda _a: self.client,
            self.limiter,
            self.clock,
            "test-worker",
            sleep=lambda _s: None,
        )
        name = f"engine-{uuid.uuid4().hex[:8]}"
        create_key(self.engine, name)
        with self.engine.connect() as conn:
            self.tenant_id = conn.execute(
                text("SELECT id FROM tenant WHERE name = :n"), {"n": name}
            ).scalar_one()

    def submit(self, numbers: list[str], **spec: Any) -> int:
        return submit_numbers(self.engine, self.settings, self.tenant_id, numbers, **spec)

    def tick(self) -> list[dict[str, Any]]:
        """One beat: release what is due, feed, and send what was published."""
        feeder.release_due(self.engine, self.clock())
        self.published.clear()
        feeder.feed(self.engine, self.settings, self.clock(), self.published.append)
        return [self.dispatcher.send_chunk(c) for c in list(self.published)]

    def run(self, max_ticks: int = 200) -> list[dict[str, Any]]:
        summaries: list[dict[str, Any]] = []
        for _ in range(max_ticks):
            done = self.tick()
            if not done:
                return summaries
            summaries += done
        raise AssertionError("the engine did not settle")

    def q(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def statuses(self, campaign_id: int) -> dict[str, int]:
        rows = self.q(
            "SELECT status, count(*) FROM recipient WHERE campaign_id = :c GROUP BY 1",
            c=campaign_id,
        )
        return {s: n for s, n in rows}

    def campaign(self, campaign_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = (
                conn.execute(text("SELECT * FROM campaign WHERE id = :c"), {"c": campaign_id})
                .mappings()
                .one()
            )
        return dict(row)

    def account(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return dict(
                conn.execute(text("SELECT * FROM provider_account WHERE name = 'default'"))
                .mappings()
                .one()
            )


def quiesce(engine: Engine) -> None:
    """Other tests' campaigns must not be fed here, and the account starts unpaused."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE chunk SET status = 'cancelled' WHERE status IN "
                "('ready', 'queued', 'deferred', 'sending')"
            )
        )
        conn.execute(
            text(
                "UPDATE campaign SET status = 'cancelled' WHERE status IN "
                "('scheduled', 'running', 'paused')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO provider_account (name, methods) VALUES ('default', "
                "ARRAY['1via', '2via', 'flash']) ON CONFLICT (name) DO UPDATE SET paused = false, "
                "pause_reason = NULL, paused_at = NULL"
            )
        )
