"""``pregonero``: the operator's command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dispatcher.cli import account, admin, campaign, lists, provider, records
from dispatcher.cli.common import err, friendly
from dispatcher.errors import ConfigError

app = typer.Typer(no_args_is_help=True, help="Pregonero: campaign SMS dispatcher.")
app.add_typer(provider.app, name="provider")
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.apikey_app, name="apikey")
app.add_typer(admin.tenant_app, name="tenant")
app.add_typer(campaign.app, name="campaign")
app.add_typer(account.app, name="account")
app.add_typer(lists.suppress_app, name="suppress")
app.add_typer(lists.report_app, name="report")
app.add_typer(records.exclusions_app, name="exclusions")
app.add_typer(records.retention_app, name="retention")
app.add_typer(records.privacy_app, name="privacy")
app.command()(provider.sim)
app.command()(admin.api)


@app.command()
@friendly
def demo(
    numbers: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many numbers.")] = 5000,
    speed: Annotated[
        float,
        typer.Option(
            min=0.1,
            max=100,
            help="Times the real pace: the provider takes one block of 1,000 numbers "
            "every 2 s; --speed 4 sends one every 0.5 s for a quicker look.",
        ),
    ] = 1.0,
    keep: Annotated[
        bool, typer.Option(help="Keep it running afterwards, until Ctrl-C; keep its database.")
    ] = False,
) -> None:
    """Run the whole system on this machine and send a campaign through it."""
    from dispatcher.dev.demo import run

    run(numbers, speed, keep)


def main() -> None:
    try:
        app()
    except ConfigError as exc:  # raised while reading settings, before a command ran
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
