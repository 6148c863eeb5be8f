"""Tell the backend system that its campaign ended: POST a summary to ``callback_url``.

Retried by every beat until it answers 2xx, for a day after the campaign finished."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)


def summary(engine: Engine, campaign_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT id, name, status, failure_reason, submitted, sendable, invalid, "
                    "duplicate, suppressed, started_at, finished_at FROM campaign WHERE id = :c"
                ),
                {"c": campaign_id},
            )
            .mappings()
            .one()
        )
        by_status: dict[str, int] = dict(
            conn.execute(
                text("SELECT status, count(*) FROM recipient WHERE campaign_id = :c GROUP BY 1"),
                {"c": campaign_id},
            ).all()
        )
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    out["recipients"] = by_status
    return out


def deliver_due(engine: Engine, client: httpx.Client, limit: int = 20) -> int:
    with engine.connect() as conn:
        due = conn.execute(
            text(
                "SELECT id, callback_url FROM campaign WHERE callback_url IS NOT NULL "
                "AND callback_done_at IS NULL AND status IN ('completed', 'cancelled', 'failed') "
                # a day of retries, then we give up
                "AND finished_at > now() - interval '1 day' ORDER BY finished_at LIMIT :n"
            ),
            {"n": limit},
        ).all()
    delivered = 0
    for campaign_id, url in due:
        try:
            response = client.post(url, json=summary(engine, campaign_id), timeout=5)
        except httpx.HTTPError as exc:
            log.warning("callback for campaign %s to %s failed: %s", campaign_id, url, exc)
            continue
        if response.is_success:
            with engine.begin() as conn:
                conn.execute(
                    text("UPDATE campaign SET callback_done_at = now() WHERE id = :c"),
                    {"c": campaign_id},
                )
            delivered += 1
        else:
            log.warning(
                "callback for campaign %s answered HTTP %s", campaign_id, response.status_code
            )
    return delivered
