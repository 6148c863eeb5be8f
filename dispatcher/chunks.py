"""Where chunks wait and how recipients move between them: the window, the account's
pauses, Ley 2300's one message a day, opt-outs after intake, new chunks for numbers that
must wait.  Every function takes an open connection inside the caller's transaction."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from dispatcher.domain.window import SendWindow

log = logging.getLogger(__name__)

OPEN = "('ready', 'queued', 'sending', 'deferred')"


def in_chunk(alias: str = "") -> str:
    """How a chunk's recipients are found: the primary-key range the chunk records, then
    its seq (params ``c``, ``lo``, ``hi``, ``seq``)."""
    a = f"{alias}." if alias else ""
    return f"{a}campaign_id = :c AND {a}n BETWEEN :lo AND :hi AND {a}chunk_seq = :seq"


def move_to_new_chunk(
    conn: Connection,
    campaign_id: int,
    ns: list[int],
    status: str,
    not_before: datetime | None,
    reason: str | None = None,
) -> int:
    """Put these recipients into a chunk of their own (balance ran out, split, Ley 2300)."""
    conn.execute(text("SELECT 1 FROM campaign WHERE id = :c FOR UPDATE"), {"c": campaign_id})
    seq = conn.execute(
        text("SELECT coalesce(max(seq), -1) + 1 FROM chunk WHERE campaign_id = :c"),
        {"c": campaign_id},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO chunk (campaign_id, seq, size, n_lo, n_hi, status, not_before, "
            "waiting_reason) VALUES (:c, :seq, :size, :lo, :hi, :status, :nb, :reason)"
        ),
        {
            "c": campaign_id,
            "seq": seq,
            "size": len(ns),
            "lo": min(ns),
            "hi": max(ns),
            "status": status,
            "nb": not_before,
            "reason": reason,
        },
    )
    conn.execute(
        text(
            "UPDATE recipient SET chunk_seq = :seq, updated_at = now() "
            "WHERE campaign_id = :c AND n = ANY(CAST(:ns AS int[]))"
        ),
        {"c": campaign_id, "seq": seq, "ns": ns},
    )
    return int(seq)


def pause_account(conn: Connection, account: str, reason: str) -> None:
    conn.execute(
        text(
            "UPDATE provider_account SET paused = true, pause_reason = :r, paused_at = now(), "
            "updated_at = now() WHERE name = :a AND NOT paused"
        ),
        {"a": account, "r": reason},
    )
    conn.execute(
        text(
            "UPDATE campaign SET waiting_reason = :r, updated_at = now() "
            "WHERE account = :a AND status IN ('scheduled', 'running')"
        ),
        {"a": account, "r": reason},
    )


def back_to_ready(
    conn: Connection, chunk_id: int, status: str = "queued", error: str | None = None
) -> None:
    conn.execute(
        text(
            "UPDATE chunk SET status = 'ready', published_at = NULL, error = coalesce(:e, error) "
            "WHERE id = :id AND status = :status"
        ),
        {"id": chunk_id, "status": status, "e": error},
    )


def defer_closed_window(
    conn: Connection,
    campaign_id: int,
    window: SendWindow,
    now: datetime,
    chunk_status: str = "queued",
) -> datetime | None:
    """Outside the window: the campaign's waiting chunks sleep until it opens (beat
    releases them); nothing waits in the broker with an ETA."""
    opens = window.next_open(now)
    conn.execute(
        text(
            "UPDATE chunk SET status = 'deferred', not_before = :nb, waiting_reason = 'window', "
            "published_at = NULL WHERE campaign_id = :c AND status IN ('ready', :s)"
        ),
        {"c": campaign_id, "nb": opens, "s": chunk_status},
    )
    conn.execute(
        text(
            "UPDATE campaign SET waiting_reason = 'window', next_send_at = :nb, updated_at = now() "
            "WHERE id = :c"
        ),
        {"c": campaign_id, "nb": opens},
    )
    return opens


def drop_suppressed(conn: Connection, row: dict[str, Any]) -> int:
    """Numbers that opted out (or were blocked) after intake are not sent."""
    return conn.execute(
        text(
            "UPDATE recipient r SET status = 'suppressed', reason = 'suppression_list', "
            f"updated_at = now() FROM suppression s WHERE {in_chunk('r')} "
            "AND r.status = 'pending' AND s.msisdn = r.msisdn"
        ),
        {"c": row["campaign_id"], "lo": row["n_lo"], "hi": row["n_hi"], "seq": row["seq"]},
    ).rowcount


def keep_one_a_day(conn: Connection, row: dict[str, Any], window: SendWindow, now: datetime) -> int:
    """Ley 2300: at most one commercial or collection message per number per day across
    the tenant's campaigns.  Reserve today's contact for this chunk's numbers; numbers
    another campaign already reached today move to a chunk for the next permitted day."""
    day = now.astimezone(window.tz).date()
    params = {
        "t": row["tenant_id"],
        "c": row["campaign_id"],
        "seq": row["seq"],
        "lo": row["n_lo"],
        "hi": row["n_hi"],
        "day": day,
    }
    pending = f"{in_chunk('r')} AND r.status = 'pending'"
    conn.execute(
        text(
            "INSERT INTO daily_contact (tenant_id, msisdn, day, campaign_id) "
            f"SELECT :t, r.msisdn, :day, :c FROM recipient r WHERE {pending} "
            "ON CONFLICT DO NOTHING"
        ),
        params,
    )
    taken = (
        conn.execute(
            text(
                f"SELECT r.n FROM recipient r JOIN daily_contact d ON d.tenant_id = :t "
                f"AND d.msisdn = r.msisdn AND d.day = :day AND d.campaign_id <> :c WHERE {pending}"
            ),
            params,
        )
        .scalars()
        .all()
    )
    if taken:
        tomorrow = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=window.tz)
        opens = window.next_open(tomorrow)
        move_to_new_chunk(conn, row["campaign_id"], list(taken), "deferred", opens, "daily_limit")
        conn.execute(
            text("UPDATE chunk SET size = size - :k WHERE id = :id"),
            {"k": len(taken), "id": row["id"]},
        )
        log.info(
            "campaign %s: %d numbers already reached today move to %s",
            row["campaign_id"],
            len(taken),
            opens,
        )
    return len(taken)


def finish_campaign(conn: Connection, campaign_id: int) -> bool:
    """``completed`` once no chunk is left to send.

    Whoever opens a chunk (a new one for numbers that must wait, a requeue) holds the
    campaign row while doing it; locking the row first, then looking at the chunks in a
    new statement, sees that chunk once it is committed."""
    conn.execute(text("SELECT 1 FROM campaign WHERE id = :c FOR UPDATE"), {"c": campaign_id})
    done = conn.execute(
        text(
            "UPDATE campaign SET status = 'completed', waiting_reason = NULL, next_send_at = NULL, "
            "finished_at = now(), updated_at = now() WHERE id = :c AND status = 'running' "
            f"AND NOT EXISTS (SELECT 1 FROM chunk WHERE campaign_id = :c AND status IN {OPEN})"
        ),
        {"c": campaign_id},
    ).rowcount
    return bool(done)
