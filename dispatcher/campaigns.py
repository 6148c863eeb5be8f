"""Reading and steering campaigns: what the API and the CLI call.  Every query is scoped
to the tenant: another tenant's campaign is simply not found."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from dispatcher.db.models import RECIPIENT_STATUSES
from dispatcher.errors import Conflict, NotFound

FINAL_CAMPAIGN = ("completed", "cancelled", "failed")
OPEN_CHUNKS = ("ready", "queued", "deferred")
CSV_COLUMNS = ("msisdn", "status", "code", "provider_ref", "updated_at")

_CAMPAIGN_COLUMNS = (
    "id, tenant_id, account, name, method, purpose, priority, status, waiting_reason, "
    "failure_reason, start_at, expires_at, next_send_at, callback_url, encoding, segments, "
    "submitted, sendable, invalid, duplicate, suppressed, chunks, created_at, updated_at, "
    "started_at, finished_at, idempotency_key"
)


def _row(conn: Connection, tenant_id: int, campaign_id: int, lock: bool = False) -> dict[str, Any]:
    row = (
        conn.execute(
            text(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaign WHERE id = :id AND tenant_id = :t"  # noqa: S608
                + (" FOR UPDATE" if lock else "")
            ),
            {"id": campaign_id, "t": tenant_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"campaign {campaign_id} does not exist (or belongs to another tenant)")
    return dict(row)


def _priority_name(value: int) -> str:
    return "high" if value > 0 else "normal"


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """The list view of a campaign."""
    return {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "waiting_reason": row["waiting_reason"],
        "method": row["method"],
        "purpose": row["purpose"],
        "priority": _priority_name(row["priority"]),
        "sendable": row["sendable"],
        "chunks": row["chunks"],
        "created_at": row["created_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
    }


def detail(
    engine: Engine, tenant_id: int, campaign_id: int, interval_s: float, now: datetime | None = None
) -> dict[str, Any]:
    """Everything about one campaign: counts by recipient status, progress, rate, ETA."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        row = _row(conn, tenant_id, campaign_id)
        by_status = dict.fromkeys(RECIPIENT_STATUSES, 0)
        by_status.update(
            conn.execute(
                text(
                    "SELECT status, count(*) FROM recipient WHERE campaign_id = :id GROUP BY status"
                ),
                {"id": campaign_id},
            ).all()
        )
        open_chunks = conn.execute(
            text(
                "SELECT count(*) FROM chunk WHERE campaign_id = :id "
                "AND status IN ('ready', 'queued', 'sending', 'deferred')"
            ),
            {"id": campaign_id},
        ).scalar_one()
    sendable = row["sendable"]
    settled = sendable - by_status["pending"]
    started = row["started_at"]
    elapsed_s = (now - started).total_seconds() if started else 0.0
    end = row["finished_at"] or now
    rate = settled / max((end - started).total_seconds(), 1e-9) if started and settled else None
    return {
        **summary(row),
        "account": row["account"],
        "failure_reason": row["failure_reason"],
        "start_at": row["start_at"],
        "expires_at": row["expires_at"],
        "next_send_at": row["next_send_at"],
        "callback_url": row["callback_url"],
        "encoding": row["encoding"],
        "segments": row["segments"],
        "idempotency_key": row["idempotency_key"],
        "counts": {
            "submitted": row["submitted"],
            "sendable": sendable,
            "invalid": row["invalid"],
            "duplicate": row["duplicate"],
            "suppressed": row["suppressed"],
            "by_status": by_status,
        },
        "progress": round(settled / sendable, 4) if sendable else 1.0,
        "rate_per_s": round(rate, 2) if rate else None,
        "elapsed_s": round(elapsed_s, 1) if started else None,
        "eta_s": round(open_chunks * interval_s, 1) if row["status"] not in FINAL_CAMPAIGN else 0,
    }


def list_campaigns(
    engine: Engine, tenant_id: int, status: str | None, before: int | None, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first, keyset-paged: pass the returned cursor as ``before``."""
    clauses = ["tenant_id = :t"]
    params: dict[str, Any] = {"t": tenant_id, "limit": limit + 1}
    if status:
        clauses.append("status = :status")
        params["status"] = status
    if before:
        clauses.append("id < :before")
        params["before"] = before
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaign WHERE {' AND '.join(clauses)} "  # noqa: S608
                "ORDER BY id DESC LIMIT :limit"
            ),
            params,
        ).mappings()
        items = [summary(dict(r)) for r in rows]
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1]["id"] if more else None)


def _recipient_query(status: str | None, after: int | None, limit: int | None) -> str:
    sql = (
        "SELECT n, msisdn, status, reason, code, provider_ref, updated_at FROM recipient "
        "WHERE campaign_id = :id"
    )
    if status:
        sql += " AND status = :status"
    if after:
        sql += " AND n > :after"
    sql += " ORDER BY n"
    if limit:
        sql += " LIMIT :limit"
    return sql


def recipients_page(
    engine: Engine,
    tenant_id: int,
    campaign_id: int,
    status: str | None,
    after: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    with engine.connect() as conn:
        _row(conn, tenant_id, campaign_id)
        rows = conn.execute(
            text(_recipient_query(status, after, limit + 1)),
            {"id": campaign_id, "status": status, "after": after, "limit": limit + 1},
        ).mappings()
        items = [dict(r) for r in rows]
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1]["n"] if more else None)


def recipients_csv(
    engine: Engine, tenant_id: int, campaign_id: int, status: str | None
) -> Iterator[str]:
    """The export, streamed from a server-side cursor: checked before the first byte."""
    with engine.connect() as conn:
        _row(conn, tenant_id, campaign_id)

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        with engine.connect().execution_options(stream_results=True, yield_per=5000) as conn:
            result = conn.execute(
                text(_recipient_query(status, None, None)), {"id": campaign_id, "status": status}
            )
            for partition in result.partitions():
                for r in partition:
                    ts = r.updated_at.isoformat() if r.updated_at else ""
                    writer.writerow((r.msisdn, r.status, r.code, r.provider_ref, ts))
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return generate()


def pause(engine: Engine, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    with engine.begin() as conn:
        row = _row(conn, tenant_id, campaign_id, lock=True)
        if row["status"] in FINAL_CAMPAIGN:
            raise Conflict(f"campaign {campaign_id} is {row['status']}; it cannot be paused")
        conn.execute(
            text(
                "UPDATE campaign SET status = 'paused', waiting_reason = 'operator', "
                "updated_at = now() WHERE id = :id"
            ),
            {"id": campaign_id},
        )
    return {"id": campaign_id, "status": "paused"}


def resume(engine: Engine, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    with engine.begin() as conn:
        row = _row(conn, tenant_id, campaign_id, lock=True)
        if row["status"] != "paused":
            if row["status"] in ("scheduled", "running"):
                return {"id": campaign_id, "status": row["status"]}
            raise Conflict(f"campaign {campaign_id} is {row['status']}; it cannot be resumed")
        status = "running" if row["started_at"] else "scheduled"
        conn.execute(
            text(
                "UPDATE campaign SET status = :status, waiting_reason = NULL, updated_at = now() "
                "WHERE id = :id"
            ),
            {"id": campaign_id, "status": status},
        )
    return {"id": campaign_id, "status": status}


def cancel(engine: Engine, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    """Unsent chunks and their recipients become cancelled; a block already at the
    provider finishes and keeps its outcomes."""
    with engine.begin() as conn:
        row = _row(conn, tenant_id, campaign_id, lock=True)
        if row["status"] in FINAL_CAMPAIGN:
            if row["status"] == "cancelled":
                return {"id": campaign_id, "status": "cancelled", "cancelled_recipients": 0}
            raise Conflict(f"campaign {campaign_id} is {row['status']}; nothing left to cancel")
        count = cancel_open_work(conn, campaign_id, "cancelled")
        conn.execute(
            text(
                "UPDATE campaign SET status = 'cancelled', waiting_reason = NULL, "
                "finished_at = now(), updated_at = now() WHERE id = :id"
            ),
            {"id": campaign_id},
        )
    return {"id": campaign_id, "status": "cancelled", "cancelled_recipients": count}


def cancel_open_work(conn: Connection, campaign_id: int, reason: str) -> int:
    """Cancel the chunks not yet at the provider and their pending recipients."""
    chunks = (
        conn.execute(
            text(
                "UPDATE chunk SET status = 'cancelled', finished_at = now() "
                "WHERE campaign_id = :id AND status IN ('ready', 'queued', 'deferred') "
                "RETURNING seq"
            ),
            {"id": campaign_id},
        )
        .scalars()
        .all()
    )
    if not chunks:
        return 0
    return conn.execute(
        text(
            "UPDATE recipient SET status = 'cancelled', reason = :reason, updated_at = now() "
            "WHERE campaign_id = :id AND chunk_seq = ANY(:seqs) AND status = 'pending'"
        ),
        {"id": campaign_id, "seqs": list(chunks), "reason": reason},
    ).rowcount
