"""What every page of /ui shares: the session from its cookie, the form token (CSRF),
the templates and their filters, and errors shown as pages rather than problem+json."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from dispatcher.api.deps import (
    SESSION_COOKIE,
    get_app_settings,
    get_engine,
    outside_reach,
)
from dispatcher.api.deps import same_origin as from_here
from dispatcher.domain.status import CAMPAIGN_ACTIVE, CAMPAIGN_OPEN, CampaignStatus
from dispatcher.domain.times import human
from dispatcher.errors import Conflict, Forbidden, NotFound, PregoneroError, ValidationFailed
from dispatcher.store import sessions
from dispatcher.store.sessions import Session

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")

# The page runs only its own script and styles: no inline code, nothing from elsewhere.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInFirst(Exception):
    """No valid session: the browser is sent to the sign-in form."""


class PageError(Exception):
    """Shown as a page with the status and what to do."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


_STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, ValidationFailed: 422}
T = TypeVar("T")


async def call(fn: Callable[..., T], *args: Any) -> T:
    """Run a store function off the event loop; our errors become pages that say why."""
    try:
        return await run_in_threadpool(fn, *args)
    except PregoneroError as exc:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), None)
        if status is None:
            raise
        raise PageError(status, str(exc)) from exc


# The API's own: what the app's lifespan made.
engine_of, settings_of = get_engine, get_app_settings


async def signed_in(request: Request) -> Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    return await run_in_threadpool(sessions.find, engine_of(request), token) if token else None


async def session(request: Request) -> Session:
    """The signed-in session; a page or form of a campaign outside its key's
    ``--accounts`` is a 404, as on /v1."""
    found = await signed_in(request)
    if found is None:
        raise SignInFirst
    if (refused := await outside_reach(request, get_engine(request), found.caller)) is not None:
        raise PageError(404, str(refused))
    return found


def operator(who: Session) -> None:
    if not who.caller.is_operator:
        raise PageError(403, "only an operator's key may do this")


def same_origin(request: Request) -> None:
    """A form posted from another site is refused even before its token is read."""
    if not from_here(request):
        raise PageError(403, "this form came from another site; nothing was done")


async def checked_form(request: Request, who: Session) -> Mapping[str, Any]:
    """The posted form, once its CSRF token is the session's."""
    same_origin(request)
    return token_checked(await request.form(), who)


def token_checked(form: Mapping[str, Any], who: Session) -> Mapping[str, Any]:
    """The form, once its CSRF token is the session's."""
    sent = form.get("csrf")
    if not isinstance(sent, str) or not secrets.compare_digest(sent, who.csrf):
        raise PageError(
            403,
            "the form's security token is missing or stale; nothing was done. "
            "Reload the page and try again.",
        )
    return form


def render(
    request: Request,
    template: str,
    who: Session | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings = settings_of(request)
    response = templates.TemplateResponse(
        request,
        template,
        {"who": who, "tz": settings.window.tz, "settings": settings, **context},
        status_code=status_code,
    )
    response.headers.update(HEADERS)
    return response


# Filters: numbers, times and durations as an operator reads them.
def number(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def rate(value: float | None) -> str:
    """Numbers a second: a slow pace (one block of 1,000 every 2 s is 500/s, one number
    every 2 s is 0.5/s) keeps its decimal instead of reading 0."""
    if value is None:
        return "—"
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if seconds < 60:
        return "< 1 min" if seconds > 0 else "done"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def eta(campaign: Any) -> str:
    """The ETA in words; a cancelled or failed campaign has nothing left to send, but it
    is not "done" either."""
    if campaign.status in (CampaignStatus.CANCELLED, CampaignStatus.FAILED):
        return "—"
    return duration(campaign.eta_s)


def local(value: datetime | None, tz: ZoneInfo) -> str:
    """``2026-12-04 12:24 GMT-5`` (domain/times.human; ui.js writes the same)."""
    return human(value, tz)


templates.env.filters.update(number=number, rate=rate, duration=duration, eta=eta, local=local)
# Which buttons a campaign gets: the status groups, never their names spelled out.
templates.env.globals.update(
    ACTIVE=CAMPAIGN_ACTIVE, OPEN=CAMPAIGN_OPEN, PAUSED=CampaignStatus.PAUSED
)
