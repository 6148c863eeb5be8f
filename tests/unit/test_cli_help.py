"""Every command of ``pregonero`` and ``celery -A workers sms`` says what it does, and
every argument and option what it takes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer


def commands(group: Any, path: str) -> Iterator[tuple[str, Any]]:
    """The command and its subcommands (Typer's own click, or click itself)."""
    yield path, group
    for name, command in (getattr(group, "commands", None) or {}).items():
        yield from commands(command, f"{path} {name}")


def undocumented(root: Any, path: str) -> list[str]:
    missing = []
    for where, command in commands(root, path):
        if not (command.help or command.short_help):
            missing.append(where)
        for param in command.params:
            if param.name == "help":
                continue
            if not getattr(param, "help", None):
                missing.append(f"{where} {param.name}")
    return missing


def test_every_pregonero_command_and_option_has_help() -> None:
    from dispatcher.cli.main import app

    assert undocumented(typer.main.get_command(app), "pregonero") == []


def test_every_sms_command_has_help() -> None:
    from workers.control import sms

    missing = [where for where, command in commands(sms, "celery sms") if not command.help]
    assert missing == []
