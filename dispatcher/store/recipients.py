"""Recipient rows and the campaign's counters of them.

Every change of a recipient's status goes through here, and moves the campaign's
counters (``n_<status>``) in the same statement's transaction.  Functions take an open
connection inside the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert

from dispatcher.domain.plan import Settle
from dispatcher.domain.status import Reason, RecipientStatus
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
    values = {COUNTERS[s]: COUNTERS[s] + d for s, d in delta.items() if d}
    if values:
        conn.execute(update(Campaign).where(Campaign.id == campaign_id).values(values))


def in_chunk(chunk: ChunkRef) -> ColumnElement[bool]:
    """A chunk's recipients, found through the primary key's range."""
    return and_(
        Recipient.campaign_id == chunk.campaign_id,
        Recipient.n.between(chunk.n_lo, chunk.n_hi),
        Recipient.chunk_seq == chunk.seq,
    )


def move(
    conn: Connection,
    campaign_id: int,
    where: ColumnElement[bool],
    before: RecipientStatus,
    after: RecipientStatus,
    reason: str | None,
) -> int:
    """Recipients matching ``where`` and in ``before`` go to ``after`` with ``reason``."""
    values: dict[str, object] = {"status": after, "reason": reason, "updated_at": func.now()}
    if after is PENDING:  # sent again: what the last attempt said no longer holds
        values["code"] = None
    moved = conn.execute(
        update(Recipient)
        .where(Recipient.campaign_id == campaign_id, Recipient.status == before, where)
        .values(values)
    ).rowcount
    if moved:
        shift_counters(conn, campaign_id, {(before, after): moved})
    return int(moved)


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
    )
    SELECT status, count(*) FROM settled GROUP BY status
    """
)


def settle(conn: Connection, campaign_id: int, outcomes: Sequence[Settle]) -> None:
    """Many pending recipients' outcomes in one statement."""
    if not outcomes:
        return
    ns = [s.n for s in outcomes]
    rows = conn.execute(
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
        },
    ).all()
    shift_counters(conn, campaign_id, {(PENDING, RecipientStatus(st)): k for st, k in rows})


def drop_suppressed(conn: Connection, chunk: ChunkRef) -> int:
    """Numbers that opted out (or were blocked) after intake are not sent."""
    return move(
        conn,
        chunk.campaign_id,
        and_(in_chunk(chunk), Suppression.msisdn == Recipient.msisdn),
        PENDING,
        RecipientStatus.SUPPRESSED,
        Reason.SUPPRESSION_LIST,
    )


def pending_numbers(conn: Connection, chunk: ChunkRef) -> list[tuple[int, str]]:
    rows = conn.execute(
        select(Recipient.n, Recipient.msisdn)
        .where(in_chunk(chunk), Recipient.status == PENDING)
        .order_by(Recipient.n)
    ).all()
    return [(int(n), str(m)) for n, m in rows]


def pending_after(conn: Connection, chunk: ChunkRef, n: int) -> list[int]:
    """The chunk's pending numbers after ``n`` (the second half of a split)."""
    rows = conn.execute(
        select(Recipient.n).where(in_chunk(chunk), Recipient.status == PENDING, Recipient.n > n)
    ).scalars()
    return [int(x) for x in rows]


def reserve_daily_contacts(
    conn: Connection, chunk: ChunkRef, tenant_id: int, day: date
) -> list[int]:
    """Ley 2300: reserve today's contact with the tenant for this chunk's pending
    numbers; return those another campaign of the tenant already reached today."""
    pending = and_(in_chunk(chunk), Recipient.status == PENDING)
    conn.execute(
        insert(DailyContact)
        .from_select(
            ["tenant_id", "msisdn", "day", "campaign_id"],
            select(
                literal(tenant_id), Recipient.msisdn, literal(day), literal(chunk.campaign_id)
            ).where(pending),
        )
        .on_conflict_do_nothing()
    )
    taken = conn.execute(
        select(Recipient.n)
        .join(
            DailyContact,
            and_(
                DailyContact.tenant_id == tenant_id,
                DailyContact.msisdn == Recipient.msisdn,
                DailyContact.day == day,
                DailyContact.campaign_id != chunk.campaign_id,
            ),
        )
        .where(pending)
    ).scalars()
    return [int(n) for n in taken]


def to_chunk(conn: Connection, campaign_id: int, ns: Sequence[int], seq: int) -> None:
    """These recipients now belong to the chunk ``seq``."""
    conn.execute(
        update(Recipient)
        .where(Recipient.campaign_id == campaign_id, Recipient.n == any_of(ns))
        .values(chunk_seq=seq, updated_at=func.now())
    )
