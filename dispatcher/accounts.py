"""Provider accounts.  Credentials come from settings (the plain ``PROVIDER_*`` settings
are the account ``default``); the database keeps only each account's state."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from dispatcher.domain.message import Method
from dispatcher.errors import ValidationFailed
from dispatcher.settings import Settings

DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True)
class Account:
    name: str
    methods: tuple[Method, ...]
    links_allowed: bool


def configured_accounts(settings: Settings) -> list[Account]:
    return [
        Account(DEFAULT_ACCOUNT, settings.provider_method_list, settings.provider_links_allowed)
    ]


def sync_accounts(conn: Connection, settings: Settings) -> None:
    """Make the account rows match the settings (their state is kept)."""
    for account in configured_accounts(settings):
        conn.execute(
            text(
                "INSERT INTO provider_account (name, methods, links_allowed) "
                "VALUES (:name, :methods, :links) ON CONFLICT (name) DO UPDATE "
                "SET methods = EXCLUDED.methods, links_allowed = EXCLUDED.links_allowed "
                "WHERE provider_account.methods IS DISTINCT FROM EXCLUDED.methods "
                "OR provider_account.links_allowed IS DISTINCT FROM EXCLUDED.links_allowed"
            ),
            {
                "name": account.name,
                "methods": [m.value for m in account.methods],
                "links": account.links_allowed,
            },
        )


def account_for(engine: Engine, settings: Settings, method: Method) -> Account:
    """The account a campaign with this ``metodo_envio`` is bound to."""
    for account in configured_accounts(settings):
        if method in account.methods:
            with engine.begin() as conn:
                sync_accounts(conn, settings)
            return account
    served = ", ".join(m.value for a in configured_accounts(settings) for m in a.methods)
    raise ValidationFailed(
        f"no provider account sends {method.value}",
        problems=[
            {
                "field": "method",
                "detail": f"the configured account serves {served} "
                "(PREGONERO_PROVIDER_METHODS): pick one of those",
            }
        ],
    )
