"""A data subject's requests (Ley 1581 de 2012), for operators: everything stored about
a number, and its erasure.

Erasure replaces the number with its keyed hash (``domain.privacy``) in recipients,
replies, the removal audit and the provider's raw answers; deletes the reply texts,
the suppression entries, exclusion-list entries, Ley 2300 reservations and reply
targets that name it, and the callbacks that would tell of its replies; marks its
pending recipients ``suppressed`` (reason ``erased``); keeps the hash in
``erased_number``, so intake stores the number as suppressed in every later campaign;
and writes an audit row (who, why, when, what changed: counts, never the number).
All in one transaction.  A block already at the provider (``sending``) is left to
finish: its outcome is recorded under the hash.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from dispatcher.domain.privacy import digest, keyed
from dispatcher.errors import ConfigError
from dispatcher.settings import Settings
from dispatcher.store import glance
from dispatcher.store.tables import (
    ErasedNumber,
    ErasureAudit,
    ExclusionEntry,
    Suppression,
    SuppressionRemoval,
)

NO_KEY = (
    "PREGONERO_PRIVACY_KEY is not set here: erased numbers are known only by their keyed "
    "hash, so this process cannot tell them. Set it to the same secret on every host "
    "(API, workers, the CLI)"
)


def key_of(settings: Settings) -> bytes | None:
    return None if settings.privacy_key is None else keyed(settings.privacy_key.get_secret_value())


def erased(conn: Connection) -> set[str]:
    """The hashes of every erased number (a few thousand at most: read whole)."""
    return set(conn.execute(select(ErasedNumber.digest)).scalars())


def find(engine: Engine, settings: Settings, msisdn: str) -> dict[str, Any]:
    """Every campaign (any tenant), status, time, reply and suppression for a number,
    and whether it was erased (null when this process has no PRIVACY_KEY to tell)."""
    found, replies = glance.number_history(engine, None, None, msisdn, limit=None)
    key = key_of(settings)
    with engine.connect() as conn:
        erasures = (
            None
            if key is None
            else conn.execute(
                select(ErasureAudit.at, ErasureAudit.by, ErasureAudit.why)
                .where(ErasureAudit.digest == digest(key, msisdn))
                .order_by(ErasureAudit.id)
            ).all()
        )
        listed = conn.execute(
            select(Suppression.account, Suppression.tenant_id, Suppression.reason,
                   Suppression.source, Suppression.at)
            .where(Suppression.msisdn == msisdn)
            .order_by(Suppression.account)
        ).all()  # fmt: skip
        lists = conn.execute(
            select(ExclusionEntry.list_name)
            .where(ExclusionEntry.msisdn == msisdn)
            .order_by(ExclusionEntry.list_name)
        ).scalars()
        removals = conn.execute(
            select(SuppressionRemoval.account, SuppressionRemoval.removed_at,
                   SuppressionRemoval.why)
            .where(SuppressionRemoval.msisdn == msisdn)
        ).all()  # fmt: skip
        return {
            "number": msisdn,
            "campaigns": [_plain(asdict(c)) for c in found],
            "replies": [_plain(asdict(r)) for r in replies],
            "suppressions": [_plain(dict(r._mapping)) for r in listed],
            "suppression_removals": [_plain(dict(r._mapping)) for r in removals],
            "exclusion_lists": list(lists),
            "erased": None if erasures is None else bool(erasures),
            "erasures": [_plain(dict(r._mapping)) for r in erasures or ()],
        }


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


# name, statement: each changes what names the number (:m, its local form :local) or
# its hash (:d); the audit keeps how many rows each changed.
_ERASE = (
    (
        "pending_suppressed",
        "WITH hit AS (UPDATE recipient r SET status = 'suppressed', reason = 'erased', "
        "updated_at = now() FROM chunk k WHERE r.msisdn = :m AND r.status = 'pending' "
        "AND k.campaign_id = r.campaign_id AND k.seq = r.chunk_seq AND k.status <> 'sending' "
        "RETURNING r.campaign_id), counted AS (UPDATE campaign c SET "
        "n_pending = c.n_pending - h.n, n_suppressed = c.n_suppressed + h.n, "
        "updated_at = now() FROM (SELECT campaign_id, count(*) AS n FROM hit "
        "GROUP BY campaign_id) h WHERE c.id = h.campaign_id RETURNING h.n) "
        "SELECT coalesce(sum(n), 0) FROM counted",
    ),
    ("recipients", "UPDATE recipient SET msisdn = :d WHERE msisdn = :m"),
    (
        "replies",
        "WITH gone AS (DELETE FROM callback_delivery WHERE inbound_id IN "
        "(SELECT id FROM inbound_message WHERE msisdn IN (:m, :local))) "
        "UPDATE inbound_message SET msisdn = :d, text = '' WHERE msisdn IN (:m, :local)",
    ),
    ("suppressions", "DELETE FROM suppression WHERE msisdn = :m"),
    ("suppression_removals", "UPDATE suppression_removal SET msisdn = :d WHERE msisdn = :m"),
    ("exclusion_entries", "DELETE FROM exclusion_entry WHERE msisdn = :m"),
    ("contact_reservations", "DELETE FROM daily_contact WHERE msisdn = :m"),
    ("reply_targets", "DELETE FROM reply_target WHERE msisdn = :m"),
    (
        "provider_answers",
        "UPDATE chunk SET raw_answer = replace(raw_answer, :m, :d) "
        "WHERE strpos(raw_answer, :m) > 0",
    ),
)


def erase(engine: Engine, settings: Settings, msisdn: str, by: str, why: str) -> dict[str, Any]:
    """Erase a number (12 digits) everywhere; what changed, by kind of record."""
    key = key_of(settings)
    if key is None:
        raise ConfigError(NO_KEY)
    d = digest(key, msisdn)
    params = {"m": msisdn, "local": msisdn[2:] if msisdn.startswith("57") else msisdn, "d": d}
    changed: dict[str, int] = {}
    with engine.begin() as conn:
        for name, statement in _ERASE:
            result = conn.execute(text(statement), params)
            changed[name] = (
                int(result.scalar_one()) if statement.startswith("WITH hit") else result.rowcount
            )
        conn.execute(
            text("INSERT INTO erased_number (digest) VALUES (:d) ON CONFLICT DO NOTHING"), params
        )
        audit = conn.execute(
            insert(ErasureAudit)
            .values(digest=d, by=by, why=why, changed=changed)
            .returning(ErasureAudit.id, ErasureAudit.at)
        ).one()
    return {"erased": True, "hash": d, "audit_id": audit.id, "at": audit.at.isoformat(),
            "by": by, "why": why, "changed": changed}  # fmt: skip
