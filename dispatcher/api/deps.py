"""Request-scoped dependencies: the engine, the settings, the caller's tenant."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

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
from dispatcher.store.sessions import Session

# The operator page's session (/ui).  It authorises reads of the JSON API too (the page
# polls it); a change only with the session's CSRF token in CSRF_HEADER, from the page's
# own origin (the new-campaign form's script submits through /v1 like any client).
SESSION_COOKIE = "pregonero_session"
CSRF_HEADER = "X-CSRF-Token"
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
    if credentials is None and token:
        session = await run_in_threadpool(sessions.find, engine, token)
        if session is not None and (request.method in _SAFE or page_change(request, session)):
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


def same_origin(request: Request) -> bool:
    """No Origin (not a browser's cross-site request), or this server's own.  ``null`` (a
    sandboxed frame, a redirect across sites) is another site."""
    origin = request.headers.get("origin")
    return not origin or (origin != "null" and urlsplit(origin).netloc == request.url.netloc)


def page_change(request: Request, session: Session) -> bool:
    """A change the page's script asks for: the session's CSRF token, from its origin."""
    sent = request.headers.get(CSRF_HEADER, "")
    return same_origin(request) and bool(sent) and secrets.compare_digest(sent, session.csrf)


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
