"""``pregonero``, the command line (Typer and Rich)."""

from dispatcher.cli.main import main

__all__ = ["main"]
