"""The FastAPI application.  Engines are made at start-up (lifespan), never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine

from dispatcher.accounts import configured_accounts
from dispatcher.api import (
    account,
    campaigns,
    docs,
    health,
    inbound,
    problems,
    records,
    reports,
    suppressions,
    templates,
    ui,
)
from dispatcher.api.clean_input import RefuseControlCharacters
from dispatcher.api.schemas import CampaignIn
from dispatcher.api.timing import ServerTiming
from dispatcher.engine import presence
from dispatcher.settings import Settings, get_settings
from dispatcher.store import accounts
from dispatcher.store.db import make_engine
from dispatcher.store.migrate import schema_problem

log = logging.getLogger(__name__)

DESCRIPTION = """
Submit SMS campaigns and read what happened to every recipient.

Authenticate with `Authorization: Bearer <API key>` (`pregonero apikey create`).
Errors are RFC 9457 problem details (`application/problem+json`) that say what to fix.
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings or get_settings()
        own_engine = engine is None
        if own_engine and (problem := schema_problem(app.state.settings.database_url)):
            # One line, and the server does not start (``pregonero api`` checks first).
            log.error("error: %s", problem)
            raise SystemExit(1)
        app.state.engine = engine or make_engine(app.state.settings.database_url, pool_size=10)
        try:
            with app.state.engine.begin() as conn:
                accounts.sync(conn, configured_accounts(app.state.settings))
        except Exception as exc:
            log.warning(
                "could not record the provider accounts (%s); is the database migrated?", exc
            )
        announcing = presence.start(app.state.settings, "api") if own_engine else None
        yield
        if announcing is not None:
            announcing.set()
        if own_engine:
            app.state.engine.dispose()

    app = FastAPI(
        title="Pregonero",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the installed assets below: no CDN
        redoc_url=None,
    )
    docs.install(app)
    problems.install(app)
    app.include_router(campaigns.router)
    app.include_router(account.router)
    app.include_router(suppressions.router)
    app.include_router(templates.router)
    app.include_router(reports.router)
    app.include_router(records.router)
    app.include_router(inbound.router)
    app.include_router(health.router)
    ui.install(app)
    app.add_middleware(RefuseControlCharacters)
    app.add_middleware(ServerTiming)

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["CampaignIn"] = CampaignIn.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
