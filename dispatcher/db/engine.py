"""Engines and sessions.  Created by whoever starts (API lifespan, worker process init),
never at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, pool_size: int = 5, **kwargs: object) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # No server-side prepared statements: their generic plans ignore the values of
        # range and array parameters, and the bulk statements here depend on them.
        connect_args={"application_name": "pregonero", "prepare_threshold": None},
        **kwargs,
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits at the end of the block, or rolls back on error."""
    with factory.begin() as session:
        yield session
