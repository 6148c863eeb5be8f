"""The suppression list: numbers never to be sent again through a provider account."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert

from dispatcher.domain.status import Reason
from dispatcher.store.sql import any_text
from dispatcher.store.tables import Suppression

PROVIDER = "provider"


def add_from_provider(conn: Connection, account: str, msisdns: Sequence[str]) -> None:
    """The provider answered -8: the number is on the account's block list (the person
    opted out)."""
    rows = [
        {"account": account, "msisdn": m, "reason": Reason.PROVIDER_BLOCK_LIST, "source": PROVIDER}
        for m in msisdns
    ]
    conn.execute(insert(Suppression).values(rows).on_conflict_do_nothing())


def count(conn: Connection, account: str) -> int:
    query = select(func.count()).select_from(Suppression).where(Suppression.account == account)
    return int(conn.execute(query).scalar_one())


def all_numbers(conn: Connection, account: str) -> set[str]:
    query = select(Suppression.msisdn).where(Suppression.account == account)
    return set(conn.execute(query).scalars())


def among(conn: Connection, account: str, msisdns: Sequence[str]) -> set[str]:
    """Which of these numbers are suppressed for the account."""
    query = select(Suppression.msisdn).where(
        Suppression.account == account, Suppression.msisdn == any_text(msisdns)
    )
    return set(conn.execute(query).scalars())
