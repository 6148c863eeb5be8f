"""Request-scoped dependencies: the engine, the settings, the caller's tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from dispatcher.api import throttle
from dispatcher.api.problems import ApiProblem
from dispatcher.errors import NotFound
from dispatcher.settings import Settings
from dispatcher.store import reads, sessions
from dispatcher.store.apikeys import Caller, authenticate

# The operator page's session (/ui).  It authorises reads of the JSON API too (the page
# polls it), never a change: those go through the page's forms and their CSRF token.
SESSION_COOKIE = "pregonero_session"
_SAFE = ("GET", "HEAD")

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def caller(
    request: Request,
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    token = request.cookies.get(SESSION_COOKIE)
    if credentials is None and token and request.method in _SAFE:
        session = await run_in_threadpool(sessions.find, engine, token)
        if session is not None:
            return session.caller
    if credentials is None or credentials.scheme.lower() != "bearer":
        error = ApiProblem(
            401,
            "send the API key as 'Authorization: Bearer <key>' "
            "(create one with `pregonero apikey create --tenant NAME`)",
            slug="unauthorised",
        )
        error.headers = {"WWW-Authenticate": "Bearer"}
        raise error
    throttle.check(request)
    found = await run_in_threadpool(authenticate, engine, credentials.credentials)
    if found is None:
        throttle.failed(request)
        error = ApiProblem(401, "the API key is unknown or revoked", slug="unauthorised")
        error.headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise error
    return found


CallerDep = Annotated[Caller, Depends(caller)]


async def operator(who: CallerDep) -> Caller:
    if not who.is_operator:
        raise ApiProblem(
            403,
            "this needs an operator's key: it acts on every tenant's sending "
            "(`pregonero apikey create --tenant NAME --role operator`)",
            slug="forbidden",
        )
    return who


OperatorDep = Annotated[Caller, Depends(operator)]


async def outside_reach(request: Request, engine: Engine, who: Caller) -> NotFound | None:
    """A key limited to some provider accounts (``--accounts``) reads and steers only
    their campaigns: for a path's ``campaign_id`` on another account, the "no such
    campaign" to answer (/v1 as a problem, /ui as a page)."""
    campaign_id = str(request.path_params.get("campaign_id", ""))
    if not campaign_id.isdigit() or len(campaign_id) > 18:  # the route's own check says why
        return None
    if who.accounts is None or who.is_operator:
        return None
    account = await run_in_threadpool(reads.campaign_account, engine, int(campaign_id))
    return None if account in who.accounts else reads.out_of_reach(int(campaign_id))


async def in_reach(request: Request, who: CallerDep, engine: EngineDep) -> None:
    """Any /v1 route with a ``campaign_id`` checks the key's ``--accounts``."""
    if (refused := await outside_reach(request, engine, who)) is not None:
        raise refused
