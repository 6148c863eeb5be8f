"""``pregonero account ...``: the provider accounts' state, and an operator's pause and
resume (``celery -A workers sms`` does the same and also tells the workers)."""

from __future__ import annotations

from typing import Annotated

import typer

from dispatcher.cli import system
from dispatcher.cli.common import engine, friendly, out
from dispatcher.domain.status import PauseReason
from dispatcher.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="Provider accounts: state, pause, resume.")
Account = Annotated[
    str | None, typer.Option("--account", help="One account (default: every account).")
]


@app.command("status")
@friendly
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Accounts (sending? paused, why, since when? balance), campaigns by status and those
    that need an operator, chunks by status."""
    with engine() as made:
        lines = system.status_lines(made, get_settings(), as_json)
    out.print("\n".join(lines), highlight=False, markup=False)


@app.command("pause")
@friendly
def pause(
    account: Account = None,
    reason: Annotated[PauseReason, typer.Option(help="Why (shown with its campaigns).")] = (
        PauseReason.OPERATOR
    ),
) -> None:
    """No block of the account (of every account) starts after this."""
    with engine() as made:
        out.print(system.pause_accounts(made, get_settings(), account, reason), highlight=False)


@app.command("resume")
@friendly
def resume(account: Account = None) -> None:
    """Resume the account (every account), whatever paused it."""
    with engine() as made:
        out.print(system.resume_accounts(made, get_settings(), account), highlight=False)
