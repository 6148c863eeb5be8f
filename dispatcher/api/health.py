"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from sqlalchemy import Engine, func, select, text

from dispatcher.api.deps import EngineDep, SettingsDep
from dispatcher.api.problems import problem
from dispatcher.store.tables import Campaign

router = APIRouter(tags=["health"])

CAMPAIGNS_SUBMITTED = Counter("pregonero_campaigns_submitted_total", "Campaigns stored by intake")
RECIPIENTS_SUBMITTED = Counter(
    "pregonero_recipients_submitted_total", "Numbers received by intake", ["outcome"]
)
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


def _read_state(engine: Engine) -> None:
    """Gauges read at scrape time from the campaigns' counters (not a scan of recipients)."""
    with engine.connect() as conn:
        campaigns, uncertain = conn.execute(
            select(func.count(), func.coalesce(func.sum(Campaign.n_uncertain), 0)).where(
                Campaign.n_uncertain > 0
            )
        ).one()
    NEEDING_ATTENTION.set(campaigns)
    UNCERTAIN.set(uncertain)


@router.get("/metrics", include_in_schema=False, response_model=None)
async def metrics(
    engine: EngineDep, settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> Any:
    """Prometheus.  With METRICS_TOKEN set, only with ``Authorization: Bearer <token>``:
    the figures span every tenant."""
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
        if not hmac.compare_digest((authorization or "").encode(), expected):
            return problem(
                401,
                "send the metrics token as 'Authorization: Bearer <PREGONERO_METRICS_TOKEN>'",
                slug="unauthorised",
                headers={"WWW-Authenticate": "Bearer"},
            )
    await run_in_threadpool(_read_state, engine)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
