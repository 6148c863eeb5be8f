"""Exclusion lists: named lists of numbers that must not receive messages of some
purposes (the CRC's Registro de Números Excluidos for commercial messages, a company's
own "do not market" list).  Unlike an account's suppression list, a list applies by
purpose: a transactional message still reaches a number on a commercial list.

Intake checks a campaign's numbers against the lists of its purpose; a number on one is
stored ``suppressed`` with the reason ``list:NAME``.  An import replaces a list's
content in one transaction (streamed: memory does not grow with the list)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    any_,
    bindparam,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert

from dispatcher.domain.numbers import InvalidSample
from dispatcher.errors import NotFound, ValidationFailed
from dispatcher.store import reads, suppressions
from dispatcher.store.tables import ExclusionEntry, ExclusionList

REASON_PREFIX = "list:"


@dataclass(frozen=True)
class ListInfo:
    name: str
    purposes: list[str]
    source: str | None
    taken_at: datetime
    imported_at: datetime
    imported_by: str | None
    size: int

    def age_days(self, now: datetime) -> int:
        return max(0, (now - self.taken_at).days)

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name,
            "purposes": self.purposes,
            "source": self.source,
            "taken_at": self.taken_at.isoformat(),
            "age_days": self.age_days(now),
            "imported_at": self.imported_at.isoformat(),
            "imported_by": self.imported_by,
            "size": self.size,
        }


_COLUMNS = (
    ExclusionList.name,
    ExclusionList.purposes,
    ExclusionList.source,
    ExclusionList.taken_at,
    ExclusionList.imported_at,
    ExclusionList.imported_by,
    ExclusionList.size,
)


def lists(conn: Connection, purpose: str | None = None) -> list[ListInfo]:
    """Every list, by name; with ``purpose``, those that apply to it."""
    query = select(*_COLUMNS).order_by(ExclusionList.name)
    if purpose is not None:
        query = query.where(literal(purpose) == any_(ExclusionList.purposes))
    return [ListInfo(*row) for row in conn.execute(query)]


def get(conn: Connection, name: str) -> ListInfo:
    row = conn.execute(select(*_COLUMNS).where(ExclusionList.name == name)).first()
    if row is None:
        raise NotFound(f"there is no exclusion list named {name!r} (`pregonero exclusions list`)")
    return ListInfo(*row)


# Intake asks this for every batch: built once.
_AMONG = (
    select(ExclusionEntry.msisdn, func.min(ExclusionEntry.list_name))
    .where(
        ExclusionEntry.msisdn == any_(bindparam("msisdns", type_=ARRAY(String))),
        ExclusionEntry.list_name == any_(bindparam("names", type_=ARRAY(String))),
    )
    .group_by(ExclusionEntry.msisdn)
)


def among(conn: Connection, names: Sequence[str], msisdns: Sequence[str]) -> dict[str, str]:
    """Which of these numbers are on one of these lists: number -> ``list:NAME`` (the
    first list by name when on several)."""
    if not names or not msisdns:
        return {}
    rows = conn.execute(_AMONG, {"msisdns": list(msisdns), "names": list(names)})
    return {m: REASON_PREFIX + name for m, name in rows}


@dataclass
class Replaced:
    """What an import did to a list: numbers read, the list's size now, numbers added
    and removed against its previous content, invalid lines (with a sample)."""

    name: str
    read: int = 0
    size: int = 0
    added: int = 0
    removed: int = 0
    invalid: int = 0
    invalid_sample: list[InvalidSample] = field(default_factory=list)


def replace_list(
    engine: Engine,
    name: str,
    purposes: Sequence[str],
    numbers: Iterable[tuple[int, str]],
    *,
    taken_at: datetime,
    source: str | None,
    by: str,
    region: str,
    progress: Callable[[int], None] | None = None,
) -> Replaced:
    """Make ``numbers`` the list's whole content, creating the list if new, in one
    transaction: a campaign's intake sees the old content or the new, never a mix."""
    result = Replaced(name)
    with engine.begin() as conn:
        conn.execute(
            insert(ExclusionList)
            .values(name=name, purposes=list(purposes), source=source, taken_at=taken_at,
                    imported_by=by)
            .on_conflict_do_update(
                index_elements=[ExclusionList.name],
                set_={"purposes": list(purposes), "source": source, "taken_at": taken_at,
                      "imported_by": by, "imported_at": func.now()},
            )
        )  # fmt: skip
        before = conn.execute(
            select(ExclusionList.size).where(ExclusionList.name == name).with_for_update()
        ).scalar_one()
        suppressions.stage(conn, "exclusion_in", numbers, region, result, progress)
        if result.read == result.invalid:  # a wrong file must not empty a list
            raise ValidationFailed(
                f"no number could be read ({result.read:,} lines, all invalid): the list "
                f"{name} keeps its {int(before):,} numbers. Send a CSV with a number column "
                "(numero, celular, msisdn, ...) or one number a line",
                problems=[
                    {"field": "file", "detail": f"line {x.line}: {x.value!r} {x.detail}"}
                    for x in result.invalid_sample[:5]
                ],
            )
        conn.execute(text("ANALYZE exclusion_in"))  # a hash anti-join, not a loop
        result.removed = conn.execute(
            text(
                "DELETE FROM exclusion_entry e WHERE e.list_name = :name AND NOT EXISTS "
                "(SELECT 1 FROM exclusion_in n WHERE n.msisdn = e.msisdn)"
            ),
            {"name": name},
        ).rowcount
        # in the index's order; a number given twice is skipped like one already there
        result.added = conn.execute(
            text(
                "INSERT INTO exclusion_entry (msisdn, list_name) "
                "SELECT msisdn, :name FROM exclusion_in ORDER BY msisdn ON CONFLICT DO NOTHING"
            ),
            {"name": name},
        ).rowcount
        result.size = int(before) - result.removed + result.added
        # fresh statistics: intake's look-ups then use the index at once (with none, the
        # planner scanned the whole table for every batch: 34 s for 1M numbers, not 4 s)
        conn.execute(text("ANALYZE exclusion_entry"))
        conn.execute(
            update(ExclusionList).where(ExclusionList.name == name).values(size=result.size)
        )
    if progress is not None:
        progress(result.read)
    return result


def remove(conn: Connection, name: str) -> int:
    """Delete a list and its numbers; how many numbers it had."""
    size = get(conn, name).size
    conn.execute(delete(ExclusionEntry).where(ExclusionEntry.list_name == name))
    conn.execute(delete(ExclusionList).where(ExclusionList.name == name))
    return size


def export(engine: Engine, name: str) -> Iterator[str]:
    """The list's numbers as CSV (``msisdn``), streamed."""
    with engine.connect() as conn:
        get(conn, name)
    query = (
        select(ExclusionEntry.msisdn)
        .where(ExclusionEntry.list_name == name)
        .order_by(ExclusionEntry.msisdn)
    )
    return reads.csv_lines(("msisdn",), reads.stream(engine, query))
