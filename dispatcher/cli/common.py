"""What every ``pregonero`` command shares: the consoles, one-line errors, an engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from dispatcher.errors import MaybeSent, PregoneroError
from dispatcher.settings import get_settings

out = Console()
err = Console(stderr=True)

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
        except OperationalError as exc:  # the database cannot be reached or used
            from dispatcher.store.migrate import unreachable

            error = unreachable(get_settings().database_url, exc.orig or exc)
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
