"""The recipient table's partitions (docs/architecture.md, "Retention and the recipient
table"): ranges of ``WIDTH`` campaign ids, ``recipient_p{k}`` holding ids
``[k*WIDTH, (k+1)*WIDTH)``.  A database migrated with recipients already stored keeps
them in ``recipient_legacy``, which covers every campaign id below its bound.

A partition is made before the campaign that needs it: ahead of time by the
housekeeper, and by intake itself when none covers its campaign yet (in intake's
transaction: a dry run makes none).  Making one takes ``SHARE UPDATE EXCLUSIVE`` on
the parent (``CREATE TABLE ... LIKE`` then ``ATTACH``), which sends and intake's COPY
never wait for.  Dropping one detaches it ``CONCURRENTLY`` first, for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

WIDTH = 250  # campaign ids per partition; migration 0013 cuts the legacy rows on it
_LOCK = 0x7265636970  # pg_advisory_xact_lock key: one maker at a time
_BOUND = re.compile(r"FROM \((MINVALUE|'?-?\d+'?)\) TO \((MAXVALUE|'?-?\d+'?)\)")
_LOW, _HIGH = -(2**63), 2**63


@dataclass(frozen=True, order=True)
class Partition:
    lo: int  # first campaign id it holds
    hi: int  # the first it does not
    name: str

    def covers(self, campaign_id: int) -> bool:
        return self.lo <= campaign_id < self.hi


# This process's last read, by database (a test process uses several): partitions are
# never resized, and one is dropped only long after any intake could write to it.
_known: dict[str, list[Partition]] = {}


def _value(raw: str, infinite: int) -> int:
    return infinite if raw.endswith("VALUE") else int(raw.strip("'"))


def listed(conn: Connection) -> list[Partition]:
    """Every partition of ``recipient``, by campaign id."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'recipient'::regclass"
        )
    ).all()
    found = []
    for name, bound in rows:
        match = _BOUND.search(bound or "")
        if match:
            found.append(Partition(_value(match[1], _LOW), _value(match[2], _HIGH), str(name)))
    return sorted(found)


def ensure(conn: Connection, campaign_id: int) -> None:
    """A partition for ``campaign_id`` exists when the caller's transaction commits."""
    database = conn.engine.url.render_as_string(hide_password=True)
    if any(p.covers(campaign_id) for p in _known.get(database, ())):
        return
    _known[database] = found = listed(conn)
    if any(p.covers(campaign_id) for p in found):
        return
    conn.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
    parts = listed(conn)  # another process may have made it meanwhile
    if not any(p.covers(campaign_id) for p in parts):
        k = campaign_id // WIDTH
        lo, hi = k * WIDTH, (k + 1) * WIDTH
        name = f"recipient_p{k}"
        conn.execute(
            text(f"CREATE TABLE {name} (LIKE recipient INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        )
        conn.execute(
            text(f"ALTER TABLE recipient ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})")
        )


def ensure_ahead(engine: Engine) -> None:
    """The partitions of the next ``WIDTH`` campaign ids exist: intake then never makes
    one (the housekeeper calls this every few seconds; cheap when they exist)."""
    with engine.begin() as conn:
        top = int(conn.execute(text("SELECT last_value FROM campaign_id_seq")).scalar_one())
        for campaign_id in (top + 1, top + WIDTH):
            ensure(conn, campaign_id)


def drop(engine: Engine, partition: Partition) -> None:
    """Detach (``CONCURRENTLY``: sends and intake go on) and drop a partition whose
    campaigns are all past retention and have no replies left."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        pending = conn.execute(
            text(
                "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = "
                "to_regclass(:name) AND inhparent = 'recipient'::regclass"
            ),
            {"name": partition.name},
        ).scalar()
        # an earlier detach that was interrupted is finished, not started again
        how = "FINALIZE" if pending else "CONCURRENTLY"
        conn.execute(text(f"ALTER TABLE recipient DETACH PARTITION {partition.name} {how}"))
        conn.execute(text(f"DROP TABLE {partition.name}"))
    _known.pop(engine.url.render_as_string(hide_password=True), None)
