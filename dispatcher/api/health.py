"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from sqlalchemy import Engine, text

from dispatcher.api.deps import EngineDep
from dispatcher.api.problems import problem

router = APIRouter(tags=["health"])

CAMPAIGNS_SUBMITTED = Counter("pregonero_campaigns_submitted_total", "Campaigns stored by intake")
RECIPIENTS_SUBMITTED = Counter(
    "pregonero_recipients_submitted_total", "Numbers received by intake", ["outcome"]
)


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


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
