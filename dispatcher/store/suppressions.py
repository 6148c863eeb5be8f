"""The suppression list: numbers never to be sent again through a provider account.

Numbers come on it from a person's opt-out reply, the provider's ``-8`` (its block
list), an operator's import (for example the CRC's Registro de Números Excluidos) or a
tenant passing on its customers' requests.  Taking one off is audited
(``suppression_removal``: what it was, who, why).  Imports are streamed: numbers are
normalised as they are read and COPYed into a temporary table, so a million-number
list never sits in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
    Engine,
    String,
    any_,
    bindparam,
    delete,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert

from dispatcher.domain.numbers import REASON_TEXT, FastNormaliser, InvalidReason, InvalidSample
from dispatcher.domain.status import Reason, SuppressionSource
from dispatcher.errors import NotFound
from dispatcher.store import reads
from dispatcher.store.rows import SuppressionRow
from dispatcher.store.sql import any_text
from dispatcher.store.tables import Suppression, SuppressionRemoval

SAMPLE_SIZE = 20
_BATCH = 10_000
EVERYONE = 0  # tenant_id of a suppression for every tenant on the account


def add(
    conn: Connection,
    accounts: Sequence[str],
    msisdns: Sequence[str],
    *,
    reason: str,
    source: SuppressionSource,
    by: str | None,
    tenant_id: int = EVERYONE,
) -> int:
    """Put numbers (already 12 digits) on these accounts' lists (for every tenant, or
    ``tenant_id``'s campaigns only); how many were new."""
    rows = [
        {"account": a, "msisdn": m, "reason": reason, "source": source, "by": by,
         "tenant_id": tenant_id}
        for a in accounts
        for m in msisdns
    ]  # fmt: skip
    if not rows:
        return 0
    added = conn.execute(
        insert(Suppression).values(rows).on_conflict_do_nothing().returning(Suppression.msisdn)
    )
    return len(added.all())


def add_from_provider(conn: Connection, account: str, msisdns: Sequence[str]) -> None:
    """The provider answered -8: the number is on the account's block list (the person
    opted out, or the provider's administrator blocked it)."""
    add(
        conn,
        [account],
        msisdns,
        reason=Reason.PROVIDER_BLOCK_LIST,
        source=SuppressionSource.PROVIDER,
        by="provider -8",
    )


def remove(conn: Connection, account: str, msisdn: str, removed_by: str, why: str) -> None:
    """Take a number off an account's list (every tenant's entry), keeping what each
    was, who and why."""
    gone = conn.execute(
        delete(Suppression)
        .where(Suppression.account == account, Suppression.msisdn == msisdn)
        .returning(
            Suppression.reason,
            Suppression.source,
            Suppression.by,
            Suppression.at,
            Suppression.tenant_id,
        )
    ).all()
    if not gone:
        raise NotFound(f"{msisdn} is not on the suppression list of the account {account!r}")
    conn.execute(
        insert(SuppressionRemoval),
        [
            {
                "account": account,
                "msisdn": msisdn,
                "tenant_id": row.tenant_id,
                "reason": row.reason,
                "source": row.source,
                "added_by": row.by,
                "added_at": row.at,
                "removed_by": removed_by,
                "why": why,
            }
            for row in gone
        ],
    )


def applies_to(tenant: Any) -> Any:
    """The suppressions that hold for a tenant's campaigns: everyone's and its own
    (``tenant`` a value or a bind parameter); intake and the send path both ask this."""
    return Suppression.tenant_id.in_([EVERYONE, tenant])


def count(conn: Connection, account: str, tenant_id: int) -> int:
    query = (
        select(func.count())
        .select_from(Suppression)
        .where(Suppression.account == account, applies_to(tenant_id))
    )
    return int(conn.execute(query).scalar_one())


def all_numbers(conn: Connection, account: str, tenant_id: int) -> set[str]:
    query = select(Suppression.msisdn).where(Suppression.account == account, applies_to(tenant_id))
    return set(conn.execute(query).scalars())


# Intake asks this for every batch, and for every small campaign: built once.
_AMONG = select(Suppression.msisdn).where(
    Suppression.account == bindparam("account"),
    Suppression.msisdn == any_(bindparam("msisdns", type_=ARRAY(String))),
    applies_to(bindparam("tenant")),
)


def among(conn: Connection, account: str, msisdns: Sequence[str], tenant_id: int) -> set[str]:
    """Which of these numbers are suppressed for the tenant's campaigns on the account."""
    params = {"account": account, "msisdns": list(msisdns), "tenant": tenant_id}
    return set(conn.execute(_AMONG, params).scalars())


EXPORT_COLUMNS = ("account", "msisdn", "reason", "source", "by", "at", "tenant_id")
_LISTED = select(
    Suppression.account,
    Suppression.msisdn,
    Suppression.reason,
    Suppression.source,
    Suppression.by,
    Suppression.at,
    Suppression.tenant_id,
).order_by(Suppression.account, Suppression.msisdn, Suppression.tenant_id)


def _listing(accounts: Sequence[str], msisdn: str | None, seen_by: int | None = None) -> Any:
    query = _LISTED.where(Suppression.account == any_text(accounts))
    if msisdn is not None:
        query = query.where(Suppression.msisdn == msisdn)
    if seen_by is not None:  # a tenant: everyone's entries and its own
        query = query.where(applies_to(seen_by))
    return query


def page(
    conn: Connection,
    accounts: Sequence[str],
    msisdn: str | None,
    after: tuple[str, str] | None,
    limit: int,
    seen_by: int | None = None,
) -> tuple[list[SuppressionRow], tuple[str, str] | None]:
    """One page, by account and number; the cursor of the next page (None at the end).
    ``seen_by``: a tenant, who sees everyone's entries (their reasons in general words)
    and its own, never another tenant's."""
    query = _listing(accounts, msisdn, seen_by)
    if after is not None:
        query = query.where(tuple_(Suppression.account, Suppression.msisdn) > after)
    rows, last = reads.page(conn, query, limit, lambda r: _as_seen(SuppressionRow(*r), seen_by))
    return rows, ((last.account, last.msisdn) if last else None)


# What a tenant reads of an entry for everyone on the account: the kind, not the words.
_GENERAL = {
    SuppressionSource.REPLY.value: "opted out",
    SuppressionSource.PROVIDER.value: "provider block list",
}


def _as_seen(row: SuppressionRow, seen_by: int | None) -> SuppressionRow:
    if seen_by is None or row.tenant_id != EVERYONE:
        return row
    said = _GENERAL.get(row.source, "on the account's list")
    return replace(row, reason=said, by=None)


def export(engine: Engine, accounts: Sequence[str]) -> Iterator[str]:
    """Every row as CSV, streamed from a server-side cursor."""
    return reads.csv_lines(EXPORT_COLUMNS, reads.stream(engine, _listing(accounts, None)))


@dataclass
class Imported:
    """What an import did: numbers read, new on a list, already there, invalid (with a
    sample of lines and reasons), repeated within the import."""

    accounts: list[str]
    read: int = 0
    added: int = 0
    already: int = 0
    invalid: int = 0
    repeated: int = 0
    invalid_sample: list[InvalidSample] = field(default_factory=list)


def import_numbers(
    engine: Engine,
    accounts: Sequence[str],
    numbers: Iterable[tuple[int, str]],
    *,
    reason: str,
    source: SuppressionSource,
    by: str,
    region: str,
    progress: Callable[[int], None] | None = None,
    tenant_id: int = EVERYONE,
) -> Imported:
    """Normalise and add ``(line, raw)`` numbers to the accounts' lists in one
    transaction (all or nothing), streaming: memory does not grow with the list."""
    result = Imported(list(accounts))
    with engine.begin() as conn:
        stage(conn, "suppress_in", numbers, region, result, progress)
        distinct = int(
            conn.execute(text("SELECT count(DISTINCT msisdn) FROM suppress_in")).scalar_one()
        )
        valid = result.read - result.invalid
        result.repeated = valid - distinct
        result.added = int(
            conn.execute(
                text(
                    """
                    INSERT INTO suppression (account, msisdn, reason, source, by, tenant_id)
                    SELECT a.account, s.msisdn, :reason, :source, :by, :tenant
                    FROM (SELECT DISTINCT msisdn FROM suppress_in) s
                    CROSS JOIN unnest(CAST(:accounts AS varchar[])) AS a(account)
                    ON CONFLICT DO NOTHING
                    """
                ),
                {
                    "reason": reason,
                    "source": source.value,
                    "by": by,
                    "accounts": list(accounts),
                    "tenant": tenant_id,
                },
            ).rowcount
        )
        result.already = distinct * len(accounts) - result.added
    if progress is not None:
        progress(result.read)
    return result


class Counted(Protocol):
    read: int
    invalid: int
    invalid_sample: list[InvalidSample]


def stage(
    conn: Connection,
    table: str,
    numbers: Iterable[tuple[int, str]],
    region: str,
    result: Counted,
    progress: Callable[[int], None] | None,
) -> None:
    """Normalise ``(line, raw)`` numbers into a temporary table ``table`` (dropped at
    commit) by COPY, counting what was read and what was invalid (with a sample)."""
    normalise = FastNormaliser(region)
    conn.execute(text(f"CREATE TEMP TABLE {table} (msisdn varchar(12) NOT NULL) ON COMMIT DROP"))
    raw_conn: Any = conn.connection.driver_connection
    with (
        raw_conn.cursor() as cursor,
        cursor.copy(f"COPY {table} (msisdn) FROM STDIN") as copy,
    ):
        for line, raw in numbers:
            result.read += 1
            number = normalise(raw)
            if number.msisdn is None:
                result.invalid += 1
                if len(result.invalid_sample) < SAMPLE_SIZE:
                    why = number.reason or InvalidReason.NOT_A_NUMBER
                    result.invalid_sample.append(
                        InvalidSample(line, raw[:64], why.value, REASON_TEXT[why])
                    )
            else:
                copy.write_row((number.msisdn,))
            if progress is not None and result.read % _BATCH == 0:
                progress(result.read)


@dataclass(frozen=True, slots=True)
class Removal:
    """A number taken off an account's list: what it was, who removed it and why."""

    account: str
    msisdn: str
    reason: str
    source: str
    added_by: str | None
    added_at: datetime
    removed_by: str
    why: str
    removed_at: datetime


def removals(conn: Connection, msisdn: str) -> list[Removal]:
    """The audit of a number taken off lists, newest first."""
    audit = SuppressionRemoval
    rows = conn.execute(
        select(
            audit.account,
            audit.msisdn,
            audit.reason,
            audit.source,
            audit.added_by,
            audit.added_at,
            audit.removed_by,
            audit.why,
            audit.removed_at,
        )
        .where(audit.msisdn == msisdn)
        .order_by(audit.removed_at.desc(), audit.id.desc())
    )
    return [Removal(*r) for r in rows]
