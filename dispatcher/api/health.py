"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    Metric,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, text

from dispatcher.accounts import configured_accounts
from dispatcher.api.deps import EngineDep, SettingsDep
from dispatcher.api.problems import problem
from dispatcher.domain.status import CAMPAIGN_OPEN, CHUNK_UNSENT, PauseReason, Purpose
from dispatcher.settings import Settings
from dispatcher.store import observe, processes

router = APIRouter(tags=["health"])

NEEDING_ATTENTION = Gauge(
    "pregonero_campaigns_needing_attention",
    "Campaigns with uncertain recipients: an operator checks the provider's report, then "
    "requeues or closes them",
)
UNCERTAIN = Gauge("pregonero_recipients_uncertain", "Recipients that may have been sent")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


def _ready(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:
        return f"database not reachable or not migrated ({type(exc).__name__})"
    return None if version else "database not migrated: run `pregonero db upgrade`"


@router.get("/readyz", response_model=None)
async def readyz(engine: EngineDep) -> Any:
    """The database answers and is migrated."""
    problem_text = await run_in_threadpool(_ready, engine)
    if problem_text:
        return problem(503, problem_text, slug="not-ready")
    return {"status": "ready"}


def _state_families(engine: Engine, settings: Settings) -> list[Metric]:
    """Gauges read at scrape time (store.observe): the counters on campaign rows and the
    unsent chunks, never a scan of recipients.  Series exist for every configured
    account and status, zero included, so alerts and panels always have one."""
    configured = configured_accounts(settings)
    with engine.connect() as conn:
        now_state = observe.state(conn)
        where = processes.presence(conn, [a.name for a in configured])
    NEEDING_ATTENTION.set(now_state.campaigns_uncertain)
    UNCERTAIN.set(now_state.uncertain_recipients)
    campaigns = GaugeMetricFamily(
        "pregonero_campaigns",
        "Campaigns not finished, by status and what they wait for",
        labels=["status", "waiting_reason"],
    )
    for (status, reason), n in sorted(now_state.campaigns.items()):
        campaigns.add_metric([status, reason], n)
    for status in CAMPAIGN_OPEN:
        if not any(s == status for s, _r in now_state.campaigns):
            campaigns.add_metric([status.value, ""], 0)
    chunks = GaugeMetricFamily(
        "pregonero_chunks",
        "Chunks not sent yet, by account and status",
        labels=["account", "status"],
    )
    oldest = GaugeMetricFamily(
        "pregonero_oldest_ready_chunk_seconds",
        "How long the account's oldest ready, due chunk has waited for the feeder (0: none)",
        labels=["account"],
    )
    paused = GaugeMetricFamily(
        "pregonero_account_paused", "1 while the account is paused", labels=["account"]
    )
    paused_for = GaugeMetricFamily(
        "pregonero_account_paused_seconds",
        "How long the account has been paused, by reason (only while paused)",
        labels=["account", "reason"],
    )
    balance = GaugeMetricFamily(
        "pregonero_account_balance", "The account's last balance reading", labels=["account"]
    )
    balance_age = GaugeMetricFamily(
        "pregonero_account_balance_age_seconds",
        "How old the account's last balance reading is",
        labels=["account"],
    )
    pace = GaugeMetricFamily(
        "pregonero_account_block_interval_seconds",
        "The account's pace: one request start per this many seconds",
        labels=["account"],
    )
    window = GaugeMetricFamily(
        "pregonero_account_window_open",
        "1 while the account may send messages of this purpose now",
        labels=["account", "purpose"],
    )
    present = GaugeMetricFamily(
        "pregonero_account_configured",
        "1 when the account is in PREGONERO_ACCOUNTS here and in every running API, worker "
        "and beat; 0 when open campaigns name it but it is not (they wait), or a process lacks it",
        labels=["account"],
    )
    for account_where in where:
        present.add_metric([account_where.name], float(account_where.configured))
    rows = {a.name: a for a in now_state.accounts}
    now = now_state.now
    for account in configured:
        name = account.name
        for status in CHUNK_UNSENT:
            chunks.add_metric([name, status.value], now_state.chunks.get((name, status.value), 0))
        oldest.add_metric([name], now_state.oldest_ready_s.get(name, 0.0))
        pace.add_metric([name], account.block_interval_s)
        for purpose in Purpose:
            window.add_metric(
                [name, purpose.value], float(settings.window_for(purpose).is_open(now))
            )
        row = rows.get(name)
        paused.add_metric([name], float(bool(row and row.paused)))
        if row is None:
            continue
        if row.paused and row.paused_at is not None:
            since = (now - row.paused_at).total_seconds()
            reason = row.pause_reason or PauseReason.OPERATOR
            paused_for.add_metric([name, reason.value], since)
        if row.last_balance is not None:
            balance.add_metric([name], float(row.last_balance))
        if row.checked_at is not None:
            balance_age.add_metric([name], (now - row.checked_at).total_seconds())
    return [
        campaigns,
        chunks,
        oldest,
        present,
        paused,
        paused_for,
        balance,
        balance_age,
        pace,
        window,
    ]


class _Families:
    """A collector of families read once for this scrape."""

    def __init__(self, families: list[Metric]):
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


@router.get("/metrics", include_in_schema=False, response_model=None)
async def metrics(
    engine: EngineDep, settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> Any:
    """Prometheus.  With METRICS_TOKEN set, only with ``Authorization: Bearer <token>``:
    the figures span every tenant."""
    if settings.metrics_token is not None:
        expected = settings.metrics_token.get_secret_value().encode()
        scheme, _, given = (authorization or "").strip().partition(" ")
        given_ok = hmac.compare_digest(given.strip().encode(), expected)
        if scheme.lower() != "bearer" or not given_ok:  # the scheme in any case (RFC 9110)
            return problem(
                401,
                "send the metrics token as 'Authorization: Bearer <PREGONERO_METRICS_TOKEN>'",
                slug="unauthorised",
                headers={"WWW-Authenticate": "Bearer"},
            )
    families = await run_in_threadpool(_state_families, engine, settings)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    body = generate_latest() + generate_latest(registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
