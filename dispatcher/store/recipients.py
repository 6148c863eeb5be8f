"""Recipient rows and the campaign's counters of them.

Every change of a recipient's status goes through here, and moves the campaign's
counters (``n_<status>``) in the same statement's transaction.  Functions take an open
connection inside the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert

from dispatcher.domain.plan import Settle
from dispatcher.domain.status import Reason, RecipientStatus
from dispatcher.store import suppressions
from dispatcher.store.rows import ChunkRef
from dispatcher.store.sql import any_of
from dispatcher.store.tables import COUNTERS, Campaign, DailyContact, Recipient, Suppression

PENDING = RecipientStatus.PENDING
Moves = Mapping[tuple[RecipientStatus, RecipientStatus], int]


def shift_counters(conn: Connection, campaign_id: int, moves: Moves) -> None:
    """``(from, to) -> how many`` recipients changed status: move the counters."""
    delta: Counter[RecipientStatus] = Counter()
    for (before, after), k in moves.items():
        delta[before] -= k
        delta[after] += k
    values: dict[Any, Any] = {COUNTERS[s]: COUNTERS[s] + d for s, d in delta.items() if d}
    if values:  # updated_at too: reports find the campaigns whose recipients changed by it
        values[Campaign.updated_at] = func.now()
        conn.execute(update(Campaign).where(Campaign.id == campaign_id).values(values))


# The send path's statements are built once, here: building a statement costs more than
# running it.  A chunk's recipients are found through the primary key's range.
IN_CHUNK = and_(
    Recipient.campaign_id == bindparam("in_campaign"),
    Recipient.n.between(bindparam("in_lo"), bindparam("in_hi")),
    Recipient.chunk_seq == bindparam("in_seq"),
)
IN_SEQS = and_(
    Recipient.campaign_id == bindparam("in_campaign"),
    Recipient.chunk_seq == any_(bindparam("in_seqs", type_=ARRAY(Integer))),
)


def chunk_params(chunk: ChunkRef) -> dict[str, int]:
    """The parameters of ``IN_CHUNK`` for this chunk."""
    return {
        "in_campaign": chunk.campaign_id,
        "in_lo": chunk.n_lo,
        "in_hi": chunk.n_hi,
        "in_seq": chunk.seq,
    }


def move(
    conn: Connection,
    where: tuple[ColumnElement[bool], dict[str, Any]],
    before: RecipientStatus,
    after: RecipientStatus,
    reason: str | None,
) -> int:
    """Recipients matching ``where`` (a condition of IN_CHUNK or IN_SEQS, and its
    parameters) and in ``before`` go to ``after`` with ``reason``."""
    condition, params = where
    values: dict[str, object] = {"status": after, "reason": reason, "updated_at": func.now()}
    if after is PENDING:  # sent again: what the last attempt said no longer holds
        values["code"] = None
    moved = conn.execute(
        update(Recipient).where(condition, Recipient.status == before).values(values), params
    ).rowcount
    if moved:
        shift_counters(conn, params["in_campaign"], {(before, after): moved})
    return int(moved)


def in_chunk(chunk: ChunkRef) -> tuple[ColumnElement[bool], dict[str, Any]]:
    return IN_CHUNK, chunk_params(chunk)


def in_seqs(campaign_id: int, seqs: Sequence[int]) -> tuple[ColumnElement[bool], dict[str, Any]]:
    return IN_SEQS, {"in_campaign": campaign_id, "in_seqs": list(seqs)}


def _csv(values: Sequence[object]) -> str:
    """A list as one text parameter (``string_to_array`` splits it back): dumping five
    short strings is far cheaper than five Python lists of a thousand items each.
    Values are identifiers and digits, so they never contain a comma."""
    return ",".join("" if v is None else str(v) for v in values)


_SETTLE = text(
    """
    WITH settled AS (
        UPDATE recipient r SET status = v.status, reason = NULLIF(v.reason, ''),
               code = CAST(NULLIF(v.code, '') AS bigint), provider_ref = NULLIF(v.ref, ''),
               updated_at = now()
        FROM unnest(CAST(string_to_array(:ns, ',') AS int[]), string_to_array(:st, ','),
                    string_to_array(:rs, ','), string_to_array(:cs, ','),
                    string_to_array(:refs, ',')) AS v(n, status, reason, code, ref)
        -- the range keeps the plan on the primary key whatever the campaign's size
        WHERE r.campaign_id = :c AND r.n BETWEEN :lo AND :hi AND r.n = v.n
          AND r.status = :pending
        RETURNING v.status
    ), counted AS (
        SELECT count(*) AS settled,
               count(*) FILTER (WHERE status = :accepted) AS accepted,
               count(*) FILTER (WHERE status = :rejected) AS rejected,
               count(*) FILTER (WHERE status = :invalid) AS invalid,
               count(*) FILTER (WHERE status = :suppressed) AS suppressed,
               count(*) FILTER (WHERE status = :uncertain) AS uncertain,
               count(*) FILTER (WHERE status = :failed) AS failed
        FROM settled
    )
    -- the counters move in the same statement (see tables.COUNTERS)
    UPDATE campaign k SET n_pending = k.n_pending - c.settled,
           n_accepted = k.n_accepted + c.accepted, n_rejected = k.n_rejected + c.rejected,
           n_invalid = k.n_invalid + c.invalid, n_suppressed = k.n_suppressed + c.suppressed,
           n_uncertain = k.n_uncertain + c.uncertain, n_failed = k.n_failed + c.failed,
           updated_at = now()
    FROM counted c WHERE k.id = :c
    """
)
# A block's outcomes are never "pending" or "cancelled": the statement above counts the rest.
SETTLED = tuple(s for s in RecipientStatus if s not in (PENDING, RecipientStatus.CANCELLED))


def settle(conn: Connection, campaign_id: int, outcomes: Sequence[Settle]) -> bool:
    """Many pending recipients' outcomes, and the campaign's counters, in one statement;
    True when it ran (the campaign's row is then locked until the transaction ends)."""
    if not outcomes:
        return False
    if unknown := {s.status for s in outcomes}.difference(SETTLED):
        raise ValueError(f"a block's outcome cannot be {', '.join(sorted(unknown))}")
    ns = [s.n for s in outcomes]
    conn.execute(
        _SETTLE,
        {
            "c": campaign_id,
            "lo": min(ns),
            "hi": max(ns),
            "pending": PENDING.value,
            "ns": _csv(ns),
            "st": _csv([s.status.value for s in outcomes]),
            "rs": _csv([s.reason for s in outcomes]),
            "cs": _csv([s.code for s in outcomes]),
            "refs": _csv([s.provider_ref for s in outcomes]),
            **{status.value: status.value for status in SETTLED},
        },
    )
    return True


_DROP_SUPPRESSED = (
    update(Recipient)
    .where(
        IN_CHUNK,
        Recipient.status == PENDING,
        Suppression.account == bindparam("account"),
        Suppression.msisdn == Recipient.msisdn,
        suppressions.applies_to(bindparam("tenant")),  # everyone's, or its own
    )
    .values(
        status=RecipientStatus.SUPPRESSED,
        reason=Reason.SUPPRESSION_LIST,
        updated_at=func.now(),
    )
)


def drop_suppressed(conn: Connection, chunk: ChunkRef, account: str, tenant_id: int) -> int:
    """Numbers that opted out of the account (or it blocked, or the tenant added) after
    intake are not sent."""
    params = {**chunk_params(chunk), "account": account, "tenant": tenant_id}
    dropped = int(conn.execute(_DROP_SUPPRESSED, params).rowcount)
    if dropped:
        moves = {(PENDING, RecipientStatus.SUPPRESSED): dropped}
        shift_counters(conn, chunk.campaign_id, moves)
    return dropped


# Each pending number, and whether it is on the account's list now (everyone's entries or
# the campaign's tenant's): in the common case (none is) one statement reads what to send.
_LISTED_NOW = (
    exists()
    .where(
        Suppression.account == bindparam("account"),
        Suppression.msisdn == Recipient.msisdn,
        suppressions.applies_to(bindparam("tenant")),
    )
    .correlate(Recipient)
)
_PENDING_CHECKED = (
    select(Recipient.n, Recipient.msisdn, _LISTED_NOW)
    .where(IN_CHUNK, Recipient.status == PENDING)
    .order_by(Recipient.n)
)


def pending_checked(
    conn: Connection, chunk: ChunkRef, account: str, tenant_id: int
) -> list[tuple[int, str, bool]]:
    """The chunk's pending numbers in order, each with whether it is on the account's
    suppression list now for this tenant (it opted out, the provider blocked it, or the
    tenant added it since intake).  A read: ``drop_suppressed`` marks those."""
    params = {**chunk_params(chunk), "account": account, "tenant": tenant_id}
    rows = conn.execute(_PENDING_CHECKED, params).all()
    return [(int(n), str(m), bool(listed)) for n, m, listed in rows]


_PENDING_NUMBERS = (
    select(Recipient.n, Recipient.msisdn)
    .where(IN_CHUNK, Recipient.status == PENDING)
    .order_by(Recipient.n)
)


def pending_numbers(conn: Connection, chunk: ChunkRef) -> list[tuple[int, str]]:
    rows = conn.execute(_PENDING_NUMBERS, chunk_params(chunk)).all()
    return [(int(n), str(m)) for n, m in rows]


def pending_after(conn: Connection, chunk: ChunkRef, n: int) -> list[int]:
    """The chunk's pending numbers after ``n`` (the second half of a split)."""
    rows = conn.execute(
        select(Recipient.n).where(IN_CHUNK, Recipient.status == PENDING, Recipient.n > n),
        chunk_params(chunk),
    ).scalars()
    return [int(x) for x in rows]


def reserve_contacts(
    conn: Connection, chunk: ChunkRef, tenant_id: int, purpose: str, period: date
) -> list[int]:
    """Ley 2300: reserve this period's contact (its first day: ``period``) with the
    tenant, for the purpose, for this chunk's pending numbers; return those another
    campaign of the tenant of that purpose already reached in it."""
    pending = and_(IN_CHUNK, Recipient.status == PENDING)
    params = chunk_params(chunk)
    conn.execute(
        insert(DailyContact)
        .from_select(
            ["tenant_id", "purpose", "msisdn", "day", "campaign_id"],
            select(
                literal(tenant_id),
                literal(purpose),
                Recipient.msisdn,
                literal(period),
                literal(chunk.campaign_id),
            ).where(pending),
        )
        .on_conflict_do_nothing(),
        params,
    )
    taken = conn.execute(
        select(Recipient.n)
        .join(
            DailyContact,
            and_(
                DailyContact.tenant_id == tenant_id,
                DailyContact.purpose == purpose,
                DailyContact.msisdn == Recipient.msisdn,
                DailyContact.day == period,
                DailyContact.campaign_id != chunk.campaign_id,
            ),
        )
        .where(pending),
        params,
    ).scalars()
    return [int(n) for n in taken]


def to_chunk(conn: Connection, campaign_id: int, ns: Sequence[int], seq: int) -> None:
    """These recipients now belong to the chunk ``seq``."""
    conn.execute(
        update(Recipient)
        .where(Recipient.campaign_id == campaign_id, Recipient.n == any_of(ns))
        .values(chunk_seq=seq, updated_at=func.now())
    )


def reached_in_period(
    conn: Connection, campaign_id: int, tenant_id: int, purpose: str, day: date
) -> int:
    """How many of the campaign's pending numbers the tenant's campaigns of ``purpose``
    already reached in the contact limit's period that starts on ``day`` (Ley 2300):
    they wait for the next period."""
    this_period = (
        (DailyContact.tenant_id == tenant_id)
        & (DailyContact.purpose == purpose)
        & (DailyContact.day == day)
    )
    any_today = conn.execute(select(exists().where(this_period))).scalar()
    if not any_today:  # most days, for most tenants: no join over a big campaign
        return 0
    return int(
        conn.execute(
            select(func.count())
            .select_from(Recipient)
            .join(DailyContact, this_period & (DailyContact.msisdn == Recipient.msisdn))
            .where(
                Recipient.campaign_id == campaign_id,
                Recipient.status == RecipientStatus.PENDING,
            )
        ).scalar_one()
    )
