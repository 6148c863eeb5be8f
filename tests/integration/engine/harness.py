"""Drive the engine in-process: real Postgres and the simulator over HTTP, the in-memory
limiter twin and a fake clock, so every scenario is deterministic and independent of
the hour the suite runs at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from dispatcher.accounts import configured_accounts
from dispatcher.engine import feed, recover
from dispatcher.engine.send import Sender, SendResult
from dispatcher.provider.client import ProviderClient, ProviderConfig
from dispatcher.provider.simserver import SimulatorServer
from dispatcher.settings import Settings
from dispatcher.store.rows import QueuedChunk
from dispatcher.store.tables import COUNTERS
from tests.builders import Numbers, a_campaign, a_tenant
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
    published: list[QueuedChunk] = field(default_factory=list)
    numbers: Numbers = field(default_factory=Numbers)

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
        self.sender = self._sender()
        tenant = a_tenant(self.engine)
        self.tenant_id, self.auth = tenant.id, tenant.auth

    def _sender(self) -> Sender:
        accounts = {a.name: a for a in configured_accounts(self.settings)}
        return Sender(
            self.engine,
            self.settings,
            accounts,
            lambda _a: self.client,
            self.limiter,
            self.clock,
            "test-worker",
            sleep=lambda _s: None,
        )

    def use_settings(self, **changes: Any) -> None:
        self.settings = self.settings.model_copy(update=changes)
        self.sender = self._sender()

    def submit(self, numbers: list[str], **spec: Any) -> int:
        return a_campaign(self.engine, self.settings, self.tenant_id, numbers, **spec)

    def feed(self) -> list[int]:
        """Publish what the feeder picks; the ids of the chunks it published."""
        self.published.clear()
        feed.feed(self.engine, self.settings, self.clock(), self.published.append)
        return [chunk.id for chunk in self.published]

    def tick(self) -> list[SendResult]:
        """One beat: release what is due, feed, and send what was published."""
        recover.release_due(self.engine, self.clock())
        return [self.sender.send_chunk(c) for c in self.feed()]

    def run(self, max_ticks: int = 200) -> list[SendResult]:
        results: list[SendResult] = []
        for _ in range(max_ticks):
            done = self.tick()
            if not done:
                return results
            results += done
        raise AssertionError("the engine did not settle")

    def q(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def statuses(self, campaign_id: int) -> dict[str, int]:
        """Recipients by status, counted row by row; the campaign's counters must agree."""
        rows = dict(
            self.q(
                "SELECT status, count(*) FROM recipient WHERE campaign_id = :c GROUP BY 1",
                c=campaign_id,
            )
        )
        counters = self.campaign(campaign_id)
        kept = {s.value: counters[c.key] for s, c in COUNTERS.items() if counters[c.key]}
        assert kept == rows, f"counters {kept} disagree with the rows {rows}"
        return rows

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

    def accepted_at_sim(self) -> dict[str, list[int]]:
        return dict(self.sim.sim.accepted)

    def never_twice(self) -> None:
        assert all(len(refs) == 1 for refs in self.sim.sim.accepted.values())
