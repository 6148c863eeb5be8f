"""Tell the backend system that its campaign ended: POST a summary to ``callback_url``.

Retried by every beat until it answers 2xx, for a day after the campaign finished."""

from __future__ import annotations

import logging

import httpx
from sqlalchemy import Engine

from dispatcher.store import campaigns
from dispatcher.store.reads import callback_body

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0


def deliver_due(engine: Engine, client: httpx.Client, limit: int = 20) -> int:
    with engine.connect() as conn:
        due = campaigns.callbacks_due(conn, limit)
    delivered = 0
    for campaign_id, url in due:
        try:
            response = client.post(url, json=callback_body(engine, campaign_id), timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            log.warning("callback for campaign %s to %s failed: %s", campaign_id, url, exc)
            continue
        if not response.is_success:
            log.warning(
                "callback for campaign %s answered HTTP %s", campaign_id, response.status_code
            )
            continue
        with engine.begin() as conn:
            campaigns.callback_delivered(conn, campaign_id)
        delivered += 1
    return delivered
