"""Tell backend systems that their campaign ended: a signed POST, delivered once.

Each event is a ``callback_delivery`` row claimed by one deliverer at a time; a run
delivers what is due for at most ``RUN_BUDGET_S`` with short timeouts, so a receiver that
never answers costs a few seconds of one thread now and then, never a send.  Failures
are retried with backoff for a day.

The signature (docs/architecture.md, "Interfaces"):
``X-Pregonero-Signature: t=<unix seconds>,v1=<hex>`` where
``<hex>`` is HMAC-SHA256 of ``"<t>.<body>"`` with the tenant's secret, and
``X-Pregonero-Event: <event id>`` to de-duplicate.  A receiver recomputes the HMAC over
the raw body, compares in constant time and refuses a ``t`` more than 5 minutes away.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import httpx
from sqlalchemy import Engine

from dispatcher.domain.backoff import backoff_s
from dispatcher.egress import callback_problem
from dispatcher.redact import redact_url
from dispatcher.settings import Settings
from dispatcher.store import callbacks as store
from dispatcher.store.callbacks import Delivery

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(connect=3.0, read=5.0, write=5.0, pool=3.0)
RUN_BUDGET_S = 8.0  # a run stops taking new deliveries after this long
CLAIM_LEASE_S = 30.0  # longer than one delivery can take
RETRY_FIRST_S, RETRY_MAX_S = 30.0, 3600.0


def signature(secret: str, body: bytes, at: int) -> str:
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def retry_in_s(attempts: int) -> float:
    """30 s, 1 min, 2 min... at most an hour."""
    return backoff_s(attempts, RETRY_FIRST_S, RETRY_MAX_S)


def deliver_due(engine: Engine, client: httpx.Client, settings: Settings) -> int:
    """Make the deliveries of newly finished campaigns, deliver what is due; how many
    were delivered.  One run at a time across all hosts: a run that finds another under
    way returns at once, so slow receivers never take more than one worker thread."""
    with engine.connect() as guard:
        if not store.try_run_lock(guard):
            return 0
        try:
            return _run(engine, client, settings)
        finally:
            store.release_run_lock(guard)


def _run(engine: Engine, client: httpx.Client, settings: Settings) -> int:
    store.enqueue_finished(engine)
    deadline = time.monotonic() + RUN_BUDGET_S
    delivered = 0
    while time.monotonic() < deadline:
        with engine.begin() as conn:
            delivery = store.claim_next(conn, CLAIM_LEASE_S)
        if delivery is None:
            break
        error = _deliver(client, settings, delivery)
        with engine.begin() as conn:
            if error is None:
                store.delivered(conn, delivery.id)
                delivered += 1
            else:
                store.not_delivered(conn, delivery, error, retry_in_s(delivery.attempts))
                log.warning(
                    "callback %s for campaign %s to %s: %s",
                    delivery.id,
                    delivery.campaign_id,
                    redact_url(delivery.url),
                    error,
                )
    return delivered


def _deliver(client: httpx.Client, settings: Settings, delivery: Delivery) -> str | None:
    """None when the receiver answered 2xx, else what went wrong."""
    if problem := callback_problem(delivery.url, settings.callback_allow_private):
        return f"not called: the URL {problem}"
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "X-Pregonero-Event": delivery.id,
        "X-Pregonero-Signature": signature(delivery.secret, body, int(time.time())),
    }
    try:
        response = client.post(delivery.url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}"
    if response.is_success:
        return None
    return f"answered HTTP {response.status_code}"
