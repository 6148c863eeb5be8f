"""Provider accounts as configured: ``PREGONERO_ACCOUNTS``, or else the plain
``PROVIDER_*`` settings as the one account ``default``.  Credentials live here, from
settings, never in the database (``store.accounts`` keeps each account's state)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from dispatcher.domain.message import Method
from dispatcher.errors import ConfigError, Forbidden, ValidationFailed
from dispatcher.settings import AccountSettings, Settings

DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True)
class Account:
    name: str
    methods: tuple[Method, ...]
    links_allowed: bool
    user: str = ""
    token: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    send_url: str = ""
    balance_url: str = ""
    block_interval_s: float = 2.0
    price_per_segment: Decimal | None = None
    currency: str = "COP"
    reserved_words: tuple[str, ...] = ()

    def serves(self, method: Method) -> bool:
        return method in self.methods


def _from(entry: AccountSettings, s: Settings) -> Account:
    password = entry.password if entry.password is not None else s.provider_password
    methods = entry.methods if entry.methods is not None else list(s.provider_method_list)
    return Account(
        name=entry.name,
        methods=tuple(Method(m) for m in methods),
        links_allowed=(
            entry.links_allowed if entry.links_allowed is not None else s.provider_links_allowed
        ),
        user=entry.user,
        token=entry.token.get_secret_value(),
        password=password.get_secret_value(),
        send_url=entry.send_url or s.provider_send_url,
        balance_url=entry.balance_url or s.provider_balance_url,
        block_interval_s=(
            entry.block_interval_s if entry.block_interval_s is not None else s.block_interval_s
        ),
        price_per_segment=entry.price_per_segment,
        currency=entry.currency,
        reserved_words=tuple(entry.reserved_words),
    )


def configured_accounts(settings: Settings) -> list[Account]:
    if settings.accounts:
        return [_from(entry, settings) for entry in settings.accounts]
    return [
        Account(
            DEFAULT_ACCOUNT,
            settings.provider_method_list,
            settings.provider_links_allowed,
            user=settings.provider_user,
            token=settings.provider_token.get_secret_value(),
            password=settings.provider_password.get_secret_value(),
            send_url=settings.provider_send_url,
            balance_url=settings.provider_balance_url,
            block_interval_s=settings.block_interval_s,
        )
    ]


def account_named(settings: Settings, name: str) -> Account | None:
    return next((a for a in configured_accounts(settings) if a.name == name), None)


def _named(accounts: list[Account], requested: str, allowed: Collection[str] | None) -> Account:
    """The account a request names, if it exists and the key may use it."""
    account = next((a for a in accounts if a.name == requested), None)
    if account is None:
        names = ", ".join(a.name for a in accounts)
        raise ValidationFailed(
            f"there is no provider account {requested!r}",
            problems=[{"field": "account", "detail": f"name one of: {names}"}],
        )
    if allowed is not None and account.name not in allowed:
        raise Forbidden(
            f"this API key may not use account {account.name!r}; it may use: "
            f"{', '.join(sorted(allowed)) or 'none'}"
        )
    return account


def accounts_for(
    settings: Settings, requested: str | None = None, allowed: Collection[str] | None = None
) -> list[str]:
    """What an account-wide action (the suppression list) applies to: the account named,
    or every account the key may use."""
    accounts = configured_accounts(settings)
    if requested is not None:
        return [_named(accounts, requested, allowed).name]
    return [a.name for a in accounts if allowed is None or a.name in allowed]


def account_for(
    settings: Settings,
    method: Method,
    requested: str | None = None,
    allowed: Collection[str] | None = None,
) -> Account:
    """The account a campaign is bound to: the one it names, or the first configured
    account that serves its ``metodo_envio`` (among those its API key may use)."""
    accounts = configured_accounts(settings)
    if requested is not None:
        account = _named(accounts, requested, allowed)
        if not account.serves(method):
            served = ", ".join(m.value for m in account.methods)
            raise ValidationFailed(
                f"account {account.name!r} does not send {method.value}",
                problems=[
                    {
                        "field": "account",
                        "detail": f"{account.name} serves {served}: pick another method, or "
                        "another account (or leave it out to have one chosen)",
                    }
                ],
            )
        return account
    usable = [a for a in accounts if allowed is None or a.name in allowed]
    for account in usable:
        if account.serves(method):
            return account
    served = "; ".join(f"{a.name}: {', '.join(m.value for m in a.methods)}" for a in usable)
    raise ValidationFailed(
        f"no provider account this key may use sends {method.value}",
        problems=[
            {
                "field": "method",
                "detail": f"the accounts serve {served or 'nothing'}: pick one of those methods "
                "(PREGONERO_PROVIDER_METHODS or PREGONERO_ACCOUNTS set what each serves)",
            }
        ],
    )


def require_credentials(settings: Settings) -> list[Account]:
    """The configured accounts, or a ConfigError naming the settings that are missing:
    nothing may start sending without the provider's user and sending token."""
    missing: list[str] = []
    if settings.accounts:
        for i, entry in enumerate(settings.accounts):
            if not entry.user or not entry.token.get_secret_value():
                missing.append(f"PREGONERO_ACCOUNTS[{i}] ({entry.name}): user and token")
    else:
        if not settings.provider_user:
            missing.append("PREGONERO_PROVIDER_USER")
        if not settings.provider_token.get_secret_value():
            missing.append("PREGONERO_PROVIDER_TOKEN")
    if missing:
        raise ConfigError(
            f"set {' and '.join(missing)}: the provider account's user and its sending token "
            "(not the web login password); `pregonero sim` prints values for its demo account"
        )
    return configured_accounts(settings)


def worker_threads(accounts: int, feed_depth: int) -> int:
    """Threads a worker needs so that no account slows another: every chunk the feeder
    may have queued (FEED_DEPTH per account) has a thread to wait for its account's slot,
    plus two for beat's tasks."""
    return accounts * feed_depth + 2
