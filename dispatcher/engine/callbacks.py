"""Tell backend systems that their campaign ended: a signed POST, delivered once.

Each event (a campaign's end, a forwarded reply) is a ``callback_delivery`` row claimed
by one deliverer at a time; a run delivers what is due for at most ``RUN_BUDGET_S``, up
to ``CONCURRENCY`` at once and one per tenant at a time, each within ``DEADLINE_S`` in
all, reading at most ``BODY_CAP`` of the answer: a receiver that never answers, trickles
or floods costs its own tenant a few seconds, never a send or another tenant's delivery.
Failures are retried with backoff for a day.

The signature (docs/architecture.md, "Interfaces"):
``X-Pregonero-Signature: t=<unix seconds>,v1=<hex>`` where
``<hex>`` is HMAC-SHA256 of ``"<t>.<body>"`` with the tenant's secret, and
``X-Pregonero-Event: <event id>`` to de-duplicate.  A receiver recomputes the HMAC over
the raw body, compares in constant time and refuses a ``t`` more than 5 minutes away.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time

import httpx
from sqlalchemy import Engine

from dispatcher.domain.backoff import backoff_s
from dispatcher.egress import pinned
from dispatcher.redact import redact_url
from dispatcher.settings import Settings
from dispatcher.store import callbacks as store
from dispatcher.store.callbacks import Delivery

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(connect=3.0, read=5.0, write=5.0, pool=3.0)
DEADLINE_S = 10.0  # connect, send and read, in all: a receiver that trickles is cut off
BODY_CAP = 64 * 1024  # of a receiver's answer, read and dropped; the rest is not read
CONCURRENCY = 8  # deliveries at once in a run, one per tenant at a time
RUN_BUDGET_S = 8.0  # a run stops taking new deliveries after this long
CLAIM_LEASE_S = 30.0  # longer than one delivery can take
RETRY_FIRST_S, RETRY_MAX_S = 30.0, 3600.0


def signature(secret: str, body: bytes, at: int) -> str:
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def retry_in_s(attempts: int) -> float:
    """30 s, 1 min, 2 min... at most an hour."""
    return backoff_s(attempts, RETRY_FIRST_S, RETRY_MAX_S)


def deliver_due(engine: Engine, settings: Settings) -> int:
    """Make the deliveries of newly finished campaigns, deliver what is due; how many
    were delivered.  Up to CONCURRENCY at once, never two of one tenant at once in a run:
    a slow receiver holds back its own tenant's deliveries, not another's.  Runs on
    several hosts at once are safe: each delivery is claimed by one."""
    store.enqueue_finished(engine)
    return asyncio.run(_run(engine, settings))


async def _run(engine: Engine, settings: Settings) -> int:
    deadline = time.monotonic() + RUN_BUDGET_S
    busy: set[int] = set()
    claiming = asyncio.Lock()
    delivered = 0

    async def deliverer(client: httpx.AsyncClient) -> None:
        nonlocal delivered
        while time.monotonic() < deadline:
            async with claiming:  # one claim at a time, so `busy` is up to date
                delivery = await asyncio.to_thread(_claim, engine, frozenset(busy))
                if delivery is None:
                    return
                busy.add(delivery.tenant_id)
            try:
                error = await deliver(client, settings, delivery)
            finally:
                busy.discard(delivery.tenant_id)
            await asyncio.to_thread(_settle, engine, delivery, error)
            delivered += error is None

    async with httpx.AsyncClient(follow_redirects=False, timeout=TIMEOUT) as client:
        await asyncio.gather(*(deliverer(client) for _ in range(CONCURRENCY)))
    return delivered


def _claim(engine: Engine, busy: frozenset[int]) -> Delivery | None:
    with engine.begin() as conn:
        return store.claim_next(conn, CLAIM_LEASE_S, busy)


def _settle(engine: Engine, delivery: Delivery, error: str | None) -> None:
    with engine.begin() as conn:
        if error is None:
            store.delivered(conn, delivery.id)
            return
        store.not_delivered(conn, delivery, error, retry_in_s(delivery.attempts))
    log.warning(
        "callback %s for campaign %s to %s: %s",
        delivery.id,
        delivery.campaign_id,
        redact_url(delivery.url),
        error,
    )


async def deliver(client: httpx.AsyncClient, settings: Settings, delivery: Delivery) -> str | None:
    """None when the receiver answered 2xx, else what went wrong.  The name is resolved
    once and the connection goes to that checked address; the whole exchange has
    DEADLINE_S; at most BODY_CAP bytes of the answer are read."""
    target = await asyncio.to_thread(pinned, delivery.url, settings.callback_allow_private)
    if isinstance(target, str):
        return f"not called: the URL {target}"
    body = delivery.body.encode()
    headers = {
        "Host": target.host,
        "Content-Type": "application/json",
        "X-Pregonero-Event": delivery.id,
        "X-Pregonero-Signature": signature(delivery.secret, body, int(time.time())),
    }
    extensions = {"sni_hostname": target.sni} if target.sni else {}
    try:
        async with asyncio.timeout(DEADLINE_S):
            request = client.build_request(
                "POST", target.url, content=body, headers=headers, extensions=extensions
            )
            response = await client.send(request, stream=True)
            try:
                read = 0
                async for part in response.aiter_raw():
                    read += len(part)
                    if read >= BODY_CAP:
                        break
            finally:
                await response.aclose()
    except TimeoutError:
        return f"no whole answer within {DEADLINE_S:g} s"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}"
    if response.is_success:
        return None
    return f"answered HTTP {response.status_code}"
