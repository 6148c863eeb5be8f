"""``pregonero``: the operator's command line."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from dispatcher.domain.codes import Outcome, describe, outcome_of
from dispatcher.domain.message import Method
from dispatcher.errors import ConfigError, MaybeSent, PregoneroError
from dispatcher.provider.simulator import DEMO_PASSWORD, DEMO_TOKEN, DEMO_USER, SimConfig
from dispatcher.settings import Settings, get_settings, redact_url

app = typer.Typer(no_args_is_help=True, help="Pregonero: campaign SMS dispatcher.")
provider_app = typer.Typer(no_args_is_help=True, help="Talk to the SMS provider directly.")
app.add_typer(provider_app, name="provider")
db_app = typer.Typer(no_args_is_help=True, help="The database schema (Alembic migrations).")
app.add_typer(db_app, name="db")
apikey_app = typer.Typer(no_args_is_help=True, help="API keys for backend systems.")
app.add_typer(apikey_app, name="apikey")

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

    return wrapper  # type: ignore[return-value]


def _provider_settings() -> Settings:
    settings = get_settings()
    missing = [
        name
        for name, value in (
            ("PREGONERO_PROVIDER_USER", settings.provider_user),
            ("PREGONERO_PROVIDER_TOKEN", settings.provider_token.get_secret_value()),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"set {' and '.join(missing)} (the token is the one for sending, not the "
            "web login password); `pregonero sim` prints values for its demo account"
        )
    return settings


@app.command()
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
    out.print("Point Pregonero at it:", highlight=False)
    out.print(
        f"  export PREGONERO_PROVIDER_SEND_URL={server.send_url}", highlight=False, soft_wrap=True
    )
    out.print(
        f"  export PREGONERO_PROVIDER_BALANCE_URL={server.balance_url}",
        highlight=False,
        soft_wrap=True,
    )
    out.print(
        f"  export PREGONERO_PROVIDER_USER={user} PREGONERO_PROVIDER_TOKEN=<the --token>"
        + ("  (demo default: demo-token)" if token == DEMO_TOKEN else ""),
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"Control API: {server.base_url}/_sim/state", highlight=False)
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@provider_app.command("balance")
@friendly
def provider_balance() -> None:
    """Print the provider account's balance."""
    from dispatcher.provider.client import client_from_settings

    with client_from_settings(_provider_settings()) as client:
        value = client.balance()
    out.print(str(value), highlight=False)


def _split_numbers(to: str) -> list[str]:
    numbers = [n.strip().replace(" ", "").lstrip("+") for n in to.split(",")]
    numbers = [n for n in numbers if n]
    if not numbers:
        raise ConfigError("--to needs at least one number, for example --to 573001112233")
    return numbers


@provider_app.command("send")
@friendly
def provider_send(
    to: Annotated[str, typer.Option(help="Numbers as the provider takes them, comma-separated.")],
    text: Annotated[str, typer.Option(help="The message text.")],
    method: Annotated[Method, typer.Option(help="metodo_envio.")] = Method.ONE_WAY,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per number.")] = False,
) -> None:
    """Send one test message now, outside any campaign (for checking credentials)."""
    from dispatcher.provider.client import client_from_settings

    numbers = _split_numbers(to)
    settings = _provider_settings()
    with client_from_settings(settings) as client:
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


@db_app.command("upgrade")
@friendly
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or update the schema (safe to run again)."""
    from dispatcher.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    err.print(f"database at {revision} ({redact_url(settings.database_url)})", highlight=False)


@db_app.command("downgrade")
@friendly
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops everything.")],
) -> None:
    """Undo migrations down to REVISION."""
    from dispatcher.db.migrate import downgrade

    settings = get_settings()
    downgrade(settings.database_url, revision)
    err.print(f"database at {revision} ({redact_url(settings.database_url)})", highlight=False)


def _engine() -> Engine:
    from dispatcher.db.engine import make_engine

    return make_engine(get_settings().database_url, pool_size=2)


@apikey_app.command("create")
@friendly
def apikey_create(
    tenant: Annotated[str, typer.Option(help="The tenant (created if new).")],
    label: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
) -> None:
    """Create an API key.  It is printed once, alone on stdout; only a hash is kept."""
    from dispatcher.apikeys import create_key

    key = create_key(_engine(), tenant, label)
    print(key)
    err.print(f"API key for tenant {tenant!r} created; store it now, it is not shown again.")


@apikey_app.command("list")
@friendly
def apikey_list() -> None:
    """List keys by prefix (never the keys themselves)."""
    from dispatcher.apikeys import list_keys

    table = Table("prefix", "tenant", "label", "created", "last used", "revoked")
    for k in list_keys(_engine()):
        table.add_row(
            k.prefix,
            k.tenant,
            k.label or "",
            f"{k.created_at:%Y-%m-%d %H:%M}",
            f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "",
            f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "",
        )
    out.print(table)


@apikey_app.command("revoke")
@friendly
def apikey_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (or the key).")],
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from dispatcher.apikeys import revoke

    revoke(_engine(), prefix)
    err.print("revoked")


@app.command()
@friendly
def api(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    get_settings()  # fail now, with a clear message, on a bad setting
    uvicorn.run(
        "dispatcher.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )


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
    from dispatcher.demo import run

    run(numbers, interval, keep)


def _register_campaign_commands() -> None:
    from dispatcher import cli_campaign

    for command in cli_campaign.app.registered_commands:
        assert command.callback is not None
        command.callback = friendly(command.callback)
    app.add_typer(cli_campaign.app, name="campaign")


_register_campaign_commands()


def main() -> None:
    try:
        app()
    except ConfigError as exc:  # raised while reading settings, before a command ran
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
