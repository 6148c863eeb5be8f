"""``pregonero sim`` and ``pregonero provider balance|send``: the provider by hand."""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from dispatcher.accounts import account_named, require_credentials
from dispatcher.cli.common import err, friendly, out
from dispatcher.domain.codes import Outcome, describe, outcome_of
from dispatcher.domain.message import Method
from dispatcher.errors import ConfigError, MaybeSent
from dispatcher.provider.client import ProviderClient, client_for
from dispatcher.provider.simulator import DEMO_PASSWORD, DEMO_TOKEN, DEMO_USER, SimConfig
from dispatcher.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="Talk to the SMS provider directly.")


AccountOption = Annotated[
    str | None, typer.Option("--account", help="The provider account (default: the first).")
]


def _client(name: str | None) -> ProviderClient:
    settings = get_settings()
    accounts = require_credentials(settings)
    account = accounts[0] if name is None else account_named(settings, name)
    if account is None:
        raise ConfigError(
            f"there is no provider account {name!r}; configured: "
            f"{', '.join(a.name for a in accounts)}"
        )
    return client_for(account, settings)


@friendly
def sim(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 18081,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    balance: Annotated[int, typer.Option(help="Starting balance, in messages.")] = 1_000_000,
    window: Annotated[
        str,
        typer.Option(help="Enforce authorised hours like the provider (08:00-21:00), or 'off'."),
    ] = "off",
    user: Annotated[str, typer.Option(help="Account user.")] = DEMO_USER,
    token: Annotated[str, typer.Option(help="Account token for sending.")] = DEMO_TOKEN,
    password: Annotated[
        str, typer.Option(help="Account password (balance query).")
    ] = DEMO_PASSWORD,
    links: Annotated[bool, typer.Option(help="Authorise links in the text.")] = False,
) -> None:
    """Run the provider simulator: a real HTTP server that behaves like IT Cloud Services."""
    from dispatcher.provider.simserver import SimulatorServer

    enforce = window.lower() != "off"
    config = SimConfig(
        user=user,
        token=token,
        password=password,
        balance=balance,
        enforce_window=enforce,
        window=window if enforce else "08:00-21:00",
        links_allowed=links,
    )
    try:
        server = SimulatorServer(host, port, config)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port"
        ) from None
    hours = (
        f"enforced {window} America/Bogota" if enforce else "not enforced (--window 08:00-21:00)"
    )
    out.print(
        f"Provider simulator on [bold]{server.base_url}[/bold]  (balance {balance}, hours {hours})"
    )
    out.print("Point Pregonero at it (paste these lines in the shell that runs it):")
    # The simulator's own made-up credentials, as given on this command line: safe to print.
    settings = {
        "PREGONERO_PROVIDER_SEND_URL": server.send_url,
        "PREGONERO_PROVIDER_BALANCE_URL": server.balance_url,
        "PREGONERO_PROVIDER_USER": user,
        "PREGONERO_PROVIDER_TOKEN": token,
        "PREGONERO_PROVIDER_PASSWORD": password,
    }
    for name, value in settings.items():
        print(f"export {name}={shlex.quote(value)}", flush=True)
    out.print(f"Control API: {server.base_url}/_sim/state", highlight=False)
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@app.command("balance")
@friendly
def provider_balance(account: AccountOption = None) -> None:
    """Print the provider account's balance."""
    with _client(account) as client:
        value = client.balance()
    out.print(str(value), highlight=False)


def _split_numbers(to: str) -> list[str]:
    numbers = [n.strip().replace(" ", "").lstrip("+") for n in to.split(",")]
    numbers = [n for n in numbers if n]
    if not numbers:
        raise ConfigError("--to needs at least one number, for example --to 573001112233")
    return numbers


@app.command("send")
@friendly
def provider_send(
    to: Annotated[str, typer.Option(help="Numbers as the provider takes them, comma-separated.")],
    text: Annotated[str, typer.Option(help="The message text.")],
    method: Annotated[Method, typer.Option(help="metodo_envio.")] = Method.ONE_WAY,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per number.")] = False,
    account: AccountOption = None,
) -> None:
    """Send one test message now, outside any campaign (for checking credentials)."""
    numbers = _split_numbers(to)
    with _client(account) as client:
        try:
            answer = client.send_block(numbers, text, method)
        except MaybeSent as exc:
            _print_rows([_row(n, None, Outcome.UNCERTAIN, None) for n in numbers], as_json)
            raise exc
    if answer.request_code is not None:
        code = answer.request_code
        rows = [_row(n, code, outcome_of(code), None, describe(code)) for n in numbers]
        _print_rows(rows, as_json)
        err.print(f"[red]the provider refused the request:[/red] {describe(code)}")
        raise typer.Exit(1)
    _print_rows(
        [_row(r.msisdn, r.code, r.outcome, r.provider_ref) for r in answer.results], as_json
    )


def _row(
    msisdn: str, code: int | None, outcome: Outcome, ref: str | None, detail: str | None = None
) -> dict[str, Any]:
    if detail is None:
        detail = describe(code) if code is not None else "not in the provider's answer"
    return {
        "msisdn": msisdn,
        "code": code,
        "outcome": outcome.value,
        "provider_ref": ref,
        "detail": detail,
    }


def _print_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("msisdn", "code", "outcome", "provider_ref", "detail")
    for row in rows:
        table.add_row(
            row["msisdn"],
            str(row["code"]),
            row["outcome"],
            row["provider_ref"] or "",
            row["detail"],
        )
    out.print(table)
