"""The suppression list: numbers never to be sent again."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert

from dispatcher.domain.status import Reason
from dispatcher.store.sql import any_text
from dispatcher.store.tables import Suppression

PROVIDER = "provider"


def add_from_provider(conn: Connection, msisdns: Sequence[str]) -> None:
    """The provider answered -8: the number is on its block list (the person opted out)."""
    conn.execute(
        insert(Suppression)
        .values(
            [
                {"msisdn": m, "reason": Reason.PROVIDER_BLOCK_LIST, "source": PROVIDER}
                for m in msisdns
            ]
        )
        .on_conflict_do_nothing()
    )


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(Suppression)).scalar_one())


def all_numbers(conn: Connection) -> set[str]:
    return set(conn.execute(select(Suppression.msisdn)).scalars())


def among(conn: Connection, msisdns: Sequence[str]) -> set[str]:
    """Which of these numbers are suppressed."""
    rows = conn.execute(select(Suppression.msisdn).where(Suppression.msisdn == any_text(msisdns)))
    return set(rows.scalars())
