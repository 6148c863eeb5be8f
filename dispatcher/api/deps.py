"""Request-scoped dependencies: the engine, the settings, the caller's tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from dispatcher.api.problems import ApiProblem
from dispatcher.settings import Settings
from dispatcher.store.apikeys import authenticate

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def tenant_id(
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    if credentials is None or credentials.scheme.lower() != "bearer":
        error = ApiProblem(
            401,
            "send the API key as 'Authorization: Bearer <key>' "
            "(create one with `pregonero apikey create --tenant NAME`)",
            slug="unauthorised",
        )
        error.headers = {"WWW-Authenticate": "Bearer"}
        raise error
    tenant = await run_in_threadpool(authenticate, engine, credentials.credentials)
    if tenant is None:
        error = ApiProblem(401, "the API key is unknown or revoked", slug="unauthorised")
        error.headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise error
    return tenant


TenantDep = Annotated[int, Depends(tenant_id)]
