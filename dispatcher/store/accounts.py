"""Provider account rows: their state (paused and why, last balance).  Credentials live
in settings, never here.  Functions take an open connection inside the caller's
transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert

from dispatcher.accounts import Account
from dispatcher.domain.status import PauseReason
from dispatcher.store import campaigns
from dispatcher.store.tables import ProviderAccount


@dataclass(frozen=True, slots=True)
class AccountState:
    name: str
    methods: list[str]
    links_allowed: bool
    paused: bool
    pause_reason: PauseReason | None
    paused_at: datetime | None
    last_balance: Decimal | None
    checked_at: datetime | None


def sync(conn: Connection, accounts: Iterable[Account]) -> None:
    """Make the account rows match the settings (their state is kept)."""
    for account in accounts:
        statement = insert(ProviderAccount).values(
            name=account.name,
            methods=[m.value for m in account.methods],
            links_allowed=account.links_allowed,
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[ProviderAccount.name],
                set_={
                    "methods": statement.excluded.methods,
                    "links_allowed": statement.excluded.links_allowed,
                },
                where=(ProviderAccount.methods != statement.excluded.methods)
                | (ProviderAccount.links_allowed != statement.excluded.links_allowed),
            )
        )


def pause(conn: Connection, account: str, reason: PauseReason) -> bool:
    """No block of the account starts after this commits (the claim checks it); its
    campaigns show why they wait.  An account already paused keeps its first reason."""
    paused = conn.execute(
        update(ProviderAccount)
        .where(ProviderAccount.name == account, ProviderAccount.paused.is_(False))
        .values(paused=True, pause_reason=reason, paused_at=func.now(), updated_at=func.now())
    ).rowcount
    campaigns.wait_for_account(conn, account, reason.waiting)
    return bool(paused)


def resume(conn: Connection, account: str, only: PauseReason | None = None) -> bool:
    """Lift the pause (only one for ``only``, when given)."""
    condition = [ProviderAccount.name == account, ProviderAccount.paused.is_(True)]
    if only is not None:
        condition.append(ProviderAccount.pause_reason == only)
    resumed = conn.execute(
        update(ProviderAccount)
        .where(*condition)
        .values(paused=False, pause_reason=None, paused_at=None, updated_at=func.now())
    ).rowcount
    if resumed:
        campaigns.account_resumed(conn, account)
    return bool(resumed)


def record_balance(conn: Connection, account: str, balance: Decimal) -> None:
    conn.execute(
        update(ProviderAccount)
        .where(ProviderAccount.name == account)
        .values(last_balance=balance, checked_at=func.now())
    )


def states(conn: Connection, names: Iterable[str] | None = None) -> list[AccountState]:
    query = select(
        ProviderAccount.name,
        ProviderAccount.methods,
        ProviderAccount.links_allowed,
        ProviderAccount.paused,
        ProviderAccount.pause_reason,
        ProviderAccount.paused_at,
        ProviderAccount.last_balance,
        ProviderAccount.checked_at,
    ).order_by(ProviderAccount.name)
    if names is not None:
        query = query.where(ProviderAccount.name.in_(list(names)))
    return [
        AccountState(
            r.name,
            list(r.methods),
            r.links_allowed,
            r.paused,
            PauseReason(r.pause_reason) if r.pause_reason else None,
            r.paused_at,
            r.last_balance,
            r.checked_at,
        )
        for r in conn.execute(query)
    ]


def maintenance_probe_due(conn: Connection, probe_s: float) -> list[str]:
    """Accounts paused for maintenance longer than ``probe_s`` (the database's time, like
    ``paused_at``)."""
    rows = conn.execute(
        select(ProviderAccount.name).where(
            ProviderAccount.paused.is_(True),
            ProviderAccount.pause_reason == PauseReason.MAINTENANCE,
            ProviderAccount.paused_at <= func.now() - timedelta(seconds=probe_s),
        )
    ).scalars()
    return [str(n) for n in rows]
