"""Named builders: each test makes the state it needs, from clean, in words.

Campaigns are built through intake, as the API builds them; rows are set directly only
to stage what cannot be produced on demand (a worker that died an hour ago)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from dispatcher import intake
from dispatcher.domain.message import Method
from dispatcher.domain.status import PauseReason, Purpose, Role
from dispatcher.intake.sources import json_recipients
from dispatcher.settings import Settings
from dispatcher.store.apikeys import create_key
from dispatcher.store.tables import Chunk, ProviderAccount, Suppression
from dispatcher.store.tables import Tenant as TenantRow


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def a_tenant(
    engine: Engine,
    name: str | None = None,
    role: Role = Role.TENANT,
    accounts: list[str] | None = None,
) -> Tenant:
    name = name or f"tenant-{uuid.uuid4().hex[:8]}"
    key = create_key(engine, name, role=role, accounts=accounts)
    with engine.connect() as conn:
        tenant_id = conn.execute(select(TenantRow.id).where(TenantRow.name == name)).scalar_one()
    return Tenant(int(tenant_id), name, key)


class Numbers:
    """Distinct Colombian mobile numbers (12 digits), fresh at every call."""

    def __init__(self, first: int = 1) -> None:
        self._next = itertools.count(first)

    def __call__(self, count: int) -> list[str]:
        return [f"57310{next(self._next):07d}" for _ in range(count)]


def a_campaign(
    engine: Engine,
    settings: Settings,
    tenant_id: int,
    numbers: list[Any],
    *,
    name: str = "a campaign",
    message: str = "hola",
    method: Method = Method.ONE_WAY,
    purpose: Purpose = Purpose.TRANSACTIONAL,
    **spec: Any,
) -> int:
    """A campaign stored by intake, as the API stores it; returns its id."""
    result = intake.submit(
        engine,
        settings,
        tenant_id,
        intake.CampaignSpec(
            name=name, message=message, method=Method(method), purpose=Purpose(purpose), **spec
        ),
        json_recipients(numbers),
        request_hash=uuid.uuid4().hex,
    )
    return result.campaign_id


def a_chunk(engine: Engine, chunk_id: int, **columns: Any) -> None:
    """Stage a chunk's row as something else left it (``claimed_at`` of a worker that
    died long ago, ``published_at`` of a message that was lost)."""
    with engine.begin() as conn:
        conn.execute(update(Chunk).where(Chunk.id == chunk_id).values(**columns))


def a_suppression(
    engine: Engine, msisdn: str, source: str = "reply", account: str = "default"
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Suppression).values(
                account=account, msisdn=msisdn, reason="opted_out", source=source
            )
        )


def an_account_paused(
    engine: Engine, reason: PauseReason, since: datetime, name: str = "default"
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ProviderAccount)
            .where(ProviderAccount.name == name)
            .values(paused=True, pause_reason=reason, paused_at=since)
        )
