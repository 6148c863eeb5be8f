"""Per-process resources: engine, provider clients, limiter, sender.  Made on first use
in each process (after fork), so nothing is shared across a fork."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from dispatcher.accounts import configured_accounts
from dispatcher.engine.ports import Clock, system_clock
from dispatcher.engine.send import Sender
from dispatcher.provider.client import ProviderClient, client_from_settings
from dispatcher.settings import Settings, get_settings
from dispatcher.store import accounts
from dispatcher.store.db import make_engine
from workers.limiter import RedisLimiter


@dataclass
class Runtime:
    pid: int
    settings: Settings
    engine: Engine
    clock: Clock
    limiter: RedisLimiter
    client_for: Callable[[str], ProviderClient]
    sender: Sender


_current: Runtime | None = None


def runtime() -> Runtime:
    global _current
    if _current is None or _current.pid != os.getpid():
        _current = _build()
    return _current


def _build() -> Runtime:
    settings = get_settings()
    engine = make_engine(settings.database_url, pool_size=2)
    with engine.begin() as conn:
        accounts.sync(conn, configured_accounts(settings))
    clock = system_clock(settings.clock_offset_s)
    limiter = RedisLimiter.from_url(settings.redis_url)
    clients: dict[str, ProviderClient] = {}

    def client_for(account: str) -> ProviderClient:
        # One account today (the PROVIDER_* settings); more would each get a client here.
        if account not in clients:
            clients[account] = client_from_settings(settings)
        return clients[account]

    # Made now, not on the first send: building a client (TLS context and all) between a
    # slot and its request would delay that request and shrink the gap to the next one.
    for account in configured_accounts(settings):
        client_for(account.name)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    sender = Sender(engine, settings, client_for, limiter, clock, worker)
    return Runtime(os.getpid(), settings, engine, clock, limiter, client_for, sender)
