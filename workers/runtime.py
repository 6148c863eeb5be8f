"""Per-process resources: engine, provider clients, limiter, sender.  Made on first use
in each process (after fork), so nothing is shared across a fork."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from dispatcher.accounts import require_credentials
from dispatcher.engine.ports import Clock
from dispatcher.engine.send import Sender
from dispatcher.provider.client import ProviderClient, client_for
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
_lock = threading.Lock()  # a threads pool asks from many threads at once


def runtime() -> Runtime:
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid():
            _current = _build()
        return _current


def _build() -> Runtime:
    settings = get_settings()
    configured = require_credentials(settings)  # no credentials: refuse to start, say which
    # A threads pool runs many sends at once; each holds a connection only while it
    # claims, sends and records.
    engine = make_engine(settings.database_url, pool_size=4, max_overflow=16)
    with engine.begin() as conn:
        accounts.sync(conn, configured)
    clock = settings.now  # CLOCK_OFFSET_S ahead of the system's
    limiter = RedisLimiter.from_url(settings.redis_url)
    # Made now, not on the first send: building a client (TLS context and all) between a
    # slot and its request would delay that request and shrink the gap to the next one.
    clients = {a.name: client_for(a, settings) for a in configured}
    by_name = {a.name: a for a in configured}
    worker = f"{socket.gethostname()}:{os.getpid()}"
    observer = None
    if settings.worker_metrics_port is not None:  # made here: after the fork (metrics.py)
        from workers.metrics import PrometheusObserver

        observer = PrometheusObserver()
    sender = Sender(
        engine, settings, by_name, clients.__getitem__, limiter, clock, worker, observer=observer
    )
    return Runtime(os.getpid(), settings, engine, clock, limiter, clients.__getitem__, sender)
