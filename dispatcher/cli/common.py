"""What every ``pregonero`` command shares: the consoles, one-line errors, an engine."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from dispatcher.errors import MaybeSent, PregoneroError
from dispatcher.settings import get_settings

out = Console()
err = Console(stderr=True, soft_wrap=True)  # one line stays one line (grep, logs)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def literal(value: object) -> str:
    """Text a tenant wrote, printed as written: Rich markup escaped, control characters
    (a terminal's escape sequences) shown as ``\x1b`` instead of run."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return escape(text)


F = TypeVar("F", bound=Callable[..., Any])


def friendly(func: F) -> F:
    """Turn our errors into one clear line and an exit code, not a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PregoneroError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2 if isinstance(exc, MaybeSent) else 1) from None
        except DBAPIError as exc:  # the database cannot be reached, or is not migrated
            from dispatcher.store.migrate import explain

            error = explain(get_settings().database_url, exc)
            if error is None:
                raise
            err.print(f"[red]error:[/red] {error}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def engine() -> Iterator[Engine]:
    from dispatcher.store.db import engine_for

    made = engine_for(get_settings())
    try:
        yield made
    finally:
        made.dispose()
