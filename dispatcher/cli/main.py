"""``pregonero``: the operator's command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dispatcher.cli import admin, campaign, provider
from dispatcher.cli.common import err, friendly
from dispatcher.errors import ConfigError

app = typer.Typer(no_args_is_help=True, help="Pregonero: campaign SMS dispatcher.")
app.add_typer(provider.app, name="provider")
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.apikey_app, name="apikey")
app.add_typer(campaign.app, name="campaign")
app.command()(provider.sim)
app.command()(admin.api)


@app.command()
@friendly
def demo(
    numbers: Annotated[int, typer.Option(help="How many numbers to send.")] = 5000,
    interval: Annotated[
        float, typer.Option(help="Seconds between blocks (the provider's is 2).")
    ] = 1.0,
    keep: Annotated[bool, typer.Option(help="Keep everything running afterwards.")] = False,
) -> None:
    """Run the whole system on this machine and send a campaign through it."""
    from dispatcher.dev.demo import run

    run(numbers, interval, keep)


def main() -> None:
    try:
        app()
    except ConfigError as exc:  # raised while reading settings, before a command ran
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
