"""Run the Alembic migrations from code (``pregonero db upgrade``, tests, the demo).

The migrations ship inside the package (``dispatcher.migrations``, built from the
top-level ``migrations/`` folder), so a plain ``pip install`` can upgrade a database."""

from __future__ import annotations

import re
from importlib import resources

import psycopg
import psycopg.errors
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from dispatcher.errors import ConfigError

_MISSING = re.compile(r'database "([^"]+)" does not exist')


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("dispatcher.migrations")))
    config.attributes["database_url"] = database_url
    return config


def _conninfo(database_url: str, database: str | None = None) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def where(database_url: str) -> str:
    url = make_url(database_url)
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def unreachable(database_url: str, exc: Exception) -> ConfigError:
    """One line that says what is wrong with the database and what to do."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    first = first.removeprefix("connection failed: ")
    if _MISSING.search(first):
        return ConfigError(
            f"{first.split('FATAL:')[-1].strip()} at {where(database_url)}: "
            "`pregonero db upgrade` creates it (and the schema)"
        )
    return ConfigError(
        f"cannot use Postgres at {where(database_url)}: {first}; check "
        "PREGONERO_DATABASE_URL (postgresql+psycopg://user:password@host:5432/database) and "
        "that the server runs"
    )


def explain(database_url: str, exc: DBAPIError) -> ConfigError | None:
    """What a database error means for an operator, in one line; None when it is not
    about reaching or setting up the database."""
    if isinstance(exc, OperationalError | InterfaceError):
        return unreachable(database_url, exc.orig or exc)
    if isinstance(exc.orig, psycopg.errors.UndefinedTable):
        return ConfigError(
            f"the database at {where(database_url)} has no Pregonero tables: run "
            "`pregonero db upgrade` (with the same PREGONERO_DATABASE_URL)"
        )
    return None


def schema_problem(database_url: str) -> ConfigError | None:
    """Why a process cannot start on this database, in one line: it does not exist, the
    server does not answer, or its schema is not the one this code needs.  None when it
    can."""
    try:
        with psycopg.connect(_conninfo(database_url), connect_timeout=5) as conn:
            found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.errors.UndefinedTable:
        found = None
    except psycopg.OperationalError as exc:
        return unreachable(database_url, exc)
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    if found is None:
        return ConfigError(
            f"the database at {where(database_url)} has no Pregonero tables: run "
            "`pregonero db upgrade` (with the same PREGONERO_DATABASE_URL)"
        )
    if found[0] != head:
        return ConfigError(
            f"the database at {where(database_url)} is at schema {found[0]} and this version "
            f"needs {head}: run `pregonero db upgrade` (with the same PREGONERO_DATABASE_URL)"
        )
    return None


def ensure_database(database_url: str) -> bool:
    """Create the database if the server answers and it does not exist yet; True when it
    was created.  Any other problem is one clear ConfigError."""
    try:
        psycopg.connect(_conninfo(database_url), connect_timeout=10).close()
        return False
    except psycopg.OperationalError as exc:
        missing = _MISSING.search(str(exc))
        if missing is None:
            raise unreachable(database_url, exc) from None
    name = missing.group(1)
    try:
        with psycopg.connect(
            _conninfo(database_url, "postgres"), autocommit=True, connect_timeout=10
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # the name is the operator's own URL's
    except psycopg.Error as exc:
        user = make_url(database_url).username or "postgres"
        raise ConfigError(
            f'database "{name}" does not exist at {where(database_url)} and could not be '
            f"created ({str(exc).strip().splitlines()[0]}): create it with "
            f"`createdb -h {make_url(database_url).host} -U {user} {name}`, then run again"
        ) from None
    return True


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
