"""Engines.  Created by whoever starts (API lifespan, worker process init, a CLI
command), never at import time."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool

from dispatcher.settings import Settings


def make_engine(
    url: str, pool_size: int = 5, max_overflow: int | None = None, **kwargs: object
) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=True,
        # No server-side prepared statements: their generic plans ignore the values of
        # range and array parameters, and the bulk statements here depend on them.
        connect_args={"application_name": "pregonero", "prepare_threshold": None},
        **kwargs,
    )


def engine_for(settings: Settings, pool_size: int = 2) -> Engine:
    return make_engine(settings.database_url, pool_size=pool_size)


def reading(engine: Engine) -> Connection:
    """A connection in autocommit, for what every request reads (the key, a campaign's
    detail): no transaction to open and roll back, one round trip fewer a read."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def unpooled_engine(url: str) -> Engine:
    """An engine that opens a connection for each use and closes it after: for a thread
    that writes once a minute, and keeps nothing open across a fork."""
    return create_engine(url, poolclass=NullPool, connect_args={"application_name": "pregonero"})
