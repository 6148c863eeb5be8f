"""``pregonero db``, ``pregonero apikey`` and ``pregonero api``: setting up and serving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dispatcher.cli.common import engine, err, friendly, out
from dispatcher.domain.status import Role
from dispatcher.domain.times import human
from dispatcher.errors import ConfigError
from dispatcher.redact import redact_url
from dispatcher.settings import get_settings

db_app = typer.Typer(no_args_is_help=True, help="The database schema (Alembic migrations).")
apikey_app = typer.Typer(no_args_is_help=True, help="API keys for backend systems.")
tenant_app = typer.Typer(
    no_args_is_help=True, help="Tenants: their callback signing secret, reply URL and retention."
)


@tenant_app.command("secret")
@friendly
def tenant_secret(
    tenant: Annotated[str, typer.Option(help="The tenant.")],
    rotate: Annotated[
        bool, typer.Option(help="Make a new one (the old one stops signing at once).")
    ] = False,
) -> None:
    """Print the secret that signs the tenant's callbacks (X-Pregonero-Signature), alone
    on stdout, for its receiver to check them."""
    from dispatcher.store.apikeys import tenant_secret as secret_of

    with engine() as made:
        secret = secret_of(made, tenant, rotate)
    print(secret)
    if rotate:
        err.print("a new secret: give it to the receiver; the old one no longer signs")


@tenant_app.command("reply-url")
@friendly
def tenant_reply_url(
    tenant: Annotated[str, typer.Option(help="The tenant.")],
    url: Annotated[
        str | None, typer.Argument(help="https URL (omit to show it; --clear removes it).")
    ] = None,
    clear: Annotated[bool, typer.Option(help="No default reply URL.")] = False,
) -> None:
    """Where replies to the tenant's two-way campaigns are POSTed when a campaign names
    no reply_url (signed like callbacks)."""
    from dispatcher.egress import callback_problem
    from dispatcher.store.apikeys import set_reply_url

    settings = get_settings()
    if url is not None and (why := callback_problem(url, settings.callback_allow_private)):
        raise ConfigError(f"the reply URL {why}")
    with engine() as made:
        now = set_reply_url(made, tenant, None if clear else url, change=clear or url is not None)
    print(now or "(none)")


@tenant_app.command("retention")
@friendly
def tenant_retention(
    tenant: Annotated[str, typer.Option(help="The tenant.")],
    days: Annotated[
        int | None, typer.Option(min=1, help="Days its finished campaigns keep recipients.")
    ] = None,
    default: Annotated[bool, typer.Option(help="Back to RETENTION_DAYS.")] = False,
) -> None:
    """How long the tenant's finished campaigns keep their recipients and replies
    (`pregonero retention run` deletes them after)."""
    from dispatcher.store.retention import set_tenant_days

    settings = get_settings()
    if days is None and not default:
        raise ConfigError("give --days N, or --default for RETENTION_DAYS")
    with engine() as made, made.begin() as conn:
        if not set_tenant_days(conn, tenant, None if default else days):
            raise ConfigError(f"there is no tenant named {tenant!r}")
    kept = f"{settings.retention_days} days (RETENTION_DAYS)" if default else f"{days} days"
    print(f"{tenant}: finished campaigns keep their recipients {kept}")


@db_app.command("upgrade")
@friendly
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or update the schema (safe to run again)."""
    from dispatcher.store.migrate import upgrade

    _migrate(upgrade, revision)


@db_app.command("downgrade")
@friendly
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops everything.")],
) -> None:
    """Undo migrations down to REVISION."""
    from dispatcher.store.migrate import downgrade

    _migrate(downgrade, revision)


def _migrate(step: Callable[[str, str], None], revision: str) -> None:
    from dispatcher.store.migrate import ensure_database

    settings = get_settings()
    if ensure_database(settings.database_url):
        err.print(f"created the database ({redact_url(settings.database_url)})", highlight=False)
    step(settings.database_url, revision)
    err.print(f"database at {revision} ({redact_url(settings.database_url)})", highlight=False)


@apikey_app.command("create")
@friendly
def apikey_create(
    tenant: Annotated[str, typer.Option(help="The tenant (created if new).")],
    label: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
    role: Annotated[
        Role, typer.Option(help="tenant: its own campaigns; operator: everything.")
    ] = Role.TENANT,
    accounts: Annotated[
        str | None,
        typer.Option(help="Provider accounts it may send through, comma-separated (all)."),
    ] = None,
) -> None:
    """Create an API key.  It is printed once, alone on stdout; only a hash is kept."""
    from dispatcher.accounts import configured_accounts
    from dispatcher.store.apikeys import create_key

    allowed = None
    if accounts is not None:
        allowed = [a.strip() for a in accounts.split(",") if a.strip()]
        known = {a.name for a in configured_accounts(get_settings())}
        if not allowed:  # a key that may use no account can do nothing
            raise ConfigError(
                "--accounts names no account: give one or more of "
                f"{', '.join(sorted(known))}, or leave --accounts out for all of them"
            )
        if unknown := [a for a in allowed if a not in known]:
            raise ConfigError(
                f"no provider account {', '.join(unknown)}; configured: {', '.join(sorted(known))}"
            )
    with engine() as made:
        key = create_key(made, tenant, label, role, allowed)
    print(key)
    err.print(
        f"API key for tenant {tenant!r} ({role}) created; store it now, it is not shown again.",
        highlight=False,
    )


@apikey_app.command("list")
@friendly
def apikey_list() -> None:
    """List keys by prefix (never the keys themselves)."""
    from dispatcher.store.apikeys import list_keys

    table = Table(
        "prefix", "tenant", "role", "accounts", "label", "created", "last used", "revoked"
    )
    with engine() as made:
        keys = list_keys(made)
    tz = get_settings().window.tz
    for k in keys:
        table.add_row(
            k.prefix,
            escape(k.tenant),
            k.role,
            "all" if k.accounts is None else ", ".join(k.accounts) or "none",
            escape(k.label or ""),
            human(k.created_at, tz),
            human(k.last_used_at, tz, ""),
            human(k.revoked_at, tz, ""),
        )
    out.print(table)


@apikey_app.command("revoke")
@friendly
def apikey_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (or the key).")],
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from dispatcher.store.apikeys import revoke

    with engine() as made:
        revoke(made, prefix)
    err.print("revoked")


@friendly
def api(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    from dispatcher.logs import uvicorn_config
    from dispatcher.store.migrate import schema_problem

    settings = get_settings()  # fail now, with a clear message, on a bad setting
    if problem := schema_problem(settings.database_url):  # or on a database it cannot use
        raise problem
    uvicorn.run(
        "dispatcher.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=uvicorn_config(settings.log_format),
        access_log=False,
    )
