"""What the page's forms change: sign-in and sign-out, a campaign's pause, resume and
cancel, an operator's requeue or close of uncertain recipients, an account's pause and
resume.  Every change needs the session's CSRF token and calls the same ``engine.steer``
functions as the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from dispatcher.api import throttle
from dispatcher.api.account import one
from dispatcher.api.deps import SESSION_COOKIE
from dispatcher.api.ui.web import (
    PageError,
    call,
    checked_form,
    engine_of,
    operator,
    render,
    same_origin,
    session,
    settings_of,
)
from dispatcher.domain.status import RecipientStatus
from dispatcher.engine import steer
from dispatcher.settings import ACCOUNT_NAME
from dispatcher.store import sessions

router = APIRouter(prefix="/ui", include_in_schema=False)
CampaignId = Annotated[int, Path(ge=1, le=2**62)]


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    same_origin(request)
    form = await request.form()
    key = form.get("key")
    key = key.strip() if isinstance(key, str) else ""
    if (wait := throttle.throttle_of(request).retry_after(throttle.client_of(request))) is not None:
        page = render(
            request,
            "sign_in.html",
            None,
            status_code=429,
            error=f"Too many failed sign-ins from this address: try again in {wait} s.",
        )
        page.headers["Retry-After"] = str(wait)
        return page
    token = await run_in_threadpool(sessions.start, engine_of(request), key) if key else None
    if token is None:
        throttle.failed(request)
        return render(
            request,
            "sign_in.html",
            None,
            status_code=401,
            error="That key is unknown or revoked. Paste the whole key (pgo_…) as "
            "`pregonero apikey create` printed it.",
        )
    response = _see("/ui/campaigns")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(sessions.LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    who = await session(request)
    await checked_form(request, who)
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(sessions.end, engine_of(request), token)
    response = _see("/ui/sign-in")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _close_as(outcome: Any) -> Callable[[Engine, int, int | None], int]:
    if outcome not in (RecipientStatus.ACCEPTED, RecipientStatus.REJECTED):
        raise PageError(422, "choose accepted or rejected, as the provider's report says")
    return partial(steer.close_uncertain, outcome=RecipientStatus(outcome))


_STEER: dict[str, Callable[[Engine, int, int | None], object]] = {
    "pause": steer.pause_campaign,
    "resume": steer.resume_campaign,
    "cancel": steer.cancel_campaign,
    "requeue-uncertain": steer.requeue_uncertain,
}
_OPERATORS_ONLY = ("requeue-uncertain", "close-uncertain")


@router.post("/campaigns/{campaign_id}/{action}")
async def steer_campaign(request: Request, campaign_id: CampaignId, action: str) -> Response:
    who = await session(request)
    form = await checked_form(request, who)
    if action in _OPERATORS_ONLY:
        operator(who)
    step = _close_as(form.get("as")) if action == "close-uncertain" else _STEER.get(action)
    if step is None:
        raise PageError(404, f"a campaign has no action {action[:40]!r}")
    await call(step, engine_of(request), campaign_id, who.caller.scope)
    if form.get("back") == "list":
        return _see(f"/ui/campaigns?done={action}")
    return _see(f"/ui/campaigns/{campaign_id}?done={action}")


@router.post("/accounts/{name}/{action}")
async def steer_account(
    request: Request, name: Annotated[str, Path(pattern=ACCOUNT_NAME)], action: str
) -> Response:
    who = await session(request)
    await checked_form(request, who)
    operator(who)
    settings, engine = settings_of(request), engine_of(request)
    await call(one, name, who.caller, settings)  # the API's look-up: 404 when unknown
    if action == "pause":
        await call(steer.pause_account, engine, settings, name)
    elif action == "resume":
        await call(steer.resume_account, engine, name)
    else:
        raise PageError(404, f"an account has no action {action[:40]!r}")
    return _see(f"/ui/accounts?done=account-{action}")
