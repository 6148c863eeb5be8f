"""Provider accounts as configured.  Credentials come from settings (the plain
``PROVIDER_*`` settings are the account ``default``); the database keeps only each
account's state (``store.accounts``)."""

from __future__ import annotations

from dataclasses import dataclass

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


def account_for(settings: Settings, method: Method) -> Account:
    """The account a campaign with this ``metodo_envio`` is bound to."""
    accounts = configured_accounts(settings)
    for account in accounts:
        if method in account.methods:
            return account
    served = ", ".join(m.value for a in accounts for m in a.methods)
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
