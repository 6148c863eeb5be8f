"""The pages of /ui: sign-in, campaigns, one campaign, accounts, replies.  They read
through the same store functions as the JSON API, scoped the same way: a tenant's key
sees its own campaigns and no balance."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine

from dispatcher.api import account as account_api
from dispatcher.api.schemas import CampaignDetail, CampaignSummary
from dispatcher.api.ui import chart
from dispatcher.api.ui.web import PageError, call, engine_of, render, session, settings_of
from dispatcher.domain.forecast import plan_lines
from dispatcher.domain.numbers import normalise
from dispatcher.domain.status import CampaignStatus, RecipientStatus
from dispatcher.store import glance, reads
from dispatcher.store.rows import CampaignView

router = APIRouter(prefix="/ui", include_in_schema=False)
CampaignId = Annotated[int, Path(ge=1, le=2**62)]
PAGE_SIZE = 50

# What an operator reads after an action (the redirect names it; no text from the URL).
DONE = {
    "created": "Campaign created: it starts as its plan says. Its progress shows here.",
    "pause": "Paused: no new block starts; a block already at the provider finishes.",
    "resume": "Resumed: sending goes on at the account's pace.",
    "cancel": "Cancelled: its unsent numbers will not be sent.",
    "requeue-uncertain": "The uncertain recipients are queued to be sent again.",
    "close-uncertain": "The uncertain recipients are closed with the outcome you chose.",
    "account-pause": "The account is paused: no campaign on it starts a new block.",
    "account-resume": "The account is resumed.",
}


# The counts bar's order: outcomes first, what is still to come last.
OUTCOMES = (
    RecipientStatus.ACCEPTED,
    RecipientStatus.REJECTED,
    RecipientStatus.INVALID,
    RecipientStatus.SUPPRESSED,
    RecipientStatus.UNCERTAIN,
    RecipientStatus.FAILED,
    RecipientStatus.CANCELLED,
    RecipientStatus.PENDING,
)


def bar(by_status: dict[str, int]) -> list[tuple[RecipientStatus, float, float]]:
    """(outcome, x, width) on a 0-1000 scale, for the counts bar's rectangles."""
    total = max(sum(by_status.get(k, 0) for k in OUTCOMES), 1)
    x, parts = 0.0, []
    for k in OUTCOMES:
        width = round(1000 * by_status.get(k, 0) / total, 2)
        parts.append((k, round(x, 2), width))
        x += width
    return parts


async def _minutes(engine: Engine, scope: int | None, c: CampaignView) -> list[glance.Minute]:
    until = c.finished_at or datetime.now(UTC)
    return await call(glance.blocks_per_minute, engine, scope, c.id, c.started_at, until)


@router.get("")
async def home() -> RedirectResponse:
    return RedirectResponse("/ui/campaigns", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request) -> Response:
    return render(request, "sign_in.html", None)


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns(
    request: Request,
    status: Annotated[CampaignStatus | None, Query()] = None,
    tenant: Annotated[str | None, Query(max_length=100)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    who = await session(request)
    engine, settings = engine_of(request), settings_of(request)
    tenant = (tenant or None) if who.caller.is_operator else None
    clock = reads.Clock.of(settings)
    views, older = await call(
        reads.campaign_page,
        engine,
        who.caller.scope,
        status,
        before,
        PAGE_SIZE,
        clock,
        tenant,
        None if who.caller.is_operator else who.caller.accounts,
    )
    items = [CampaignSummary.of(view, clock) for view in views]
    tenants = await call(glance.tenant_names, engine) if who.caller.is_operator else []
    return render(
        request,
        "campaigns.html",
        who,
        items=items,
        older=older,
        status=status,
        tenant=tenant,
        statuses=list(CampaignStatus),
        tenants=tenants,
        done=DONE.get(done or ""),
    )


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign(
    request: Request,
    campaign_id: CampaignId,
    msisdn: Annotated[str | None, Query(max_length=64)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    who = await session(request)
    engine, settings = engine_of(request), settings_of(request)
    scope = who.caller.scope
    clock = reads.Clock.of(settings)
    view = await call(reads.campaign_detail, engine, scope, campaign_id, clock)
    detail = CampaignDetail.of(view, clock)
    stored = await call(reads.intake_answer, engine, campaign_id)
    uncertain = await call(glance.uncertain_blocks, engine, scope, campaign_id)
    lookup: dict[str, Any] | None = None
    if msisdn:
        number = normalise(msisdn)
        lookup = {"asked": msisdn, "msisdn": number.msisdn, "reason": number.reason}
        if number.msisdn:
            found = await call(glance.number_record, engine, scope, campaign_id, number.msisdn)
            lookup["record"] = found
    pace = 60 / clock.interval_for(detail.account)
    minutes = await _minutes(engine, scope, view.campaign)
    return render(
        request,
        "campaign.html",
        who,
        c=detail,
        outcomes=OUTCOMES,
        bar=bar(detail.counts["by_status"]),
        sample=stored.invalid_sample,
        uncertain=uncertain,
        lookup=lookup,
        done=DONE.get(done or ""),
        pace_per_min=pace,
        chart_alt=chart.describe(minutes, pace),
        plan=plan_lines(detail.plan, settings.window.tz) if detail.plan else None,
    )


@router.get("/campaigns/{campaign_id}/blocks.svg")
async def blocks_chart(request: Request, campaign_id: CampaignId) -> Response:
    who = await session(request)
    engine, settings = engine_of(request), settings_of(request)
    clock = reads.Clock.of(settings)
    view = await call(reads.campaign_detail, engine, who.caller.scope, campaign_id, clock)
    minutes = await _minutes(engine, who.caller.scope, view.campaign)
    pace = 60 / clock.interval_for(view.campaign.account)
    svg = chart.blocks_svg(minutes, pace, settings.window.tz)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


CONFIRM = {
    "cancel": (
        "Cancel this campaign?",
        "Its unsent numbers will not be sent, and this cannot be undone. A block already at "
        "the provider finishes.",
    ),
    "requeue-uncertain": (
        "Send the uncertain recipients again?",
        "Only when the provider's web report shows these numbers did not get the message: "
        "otherwise they get it twice.",
    ),
    "close-uncertain": (
        "Close the uncertain recipients?",
        "Record what the provider's web report says happened to them: accepted (they got it) "
        "or rejected (they did not).",
    ),
}


@router.get("/campaigns/{campaign_id}/confirm/{action}", response_class=HTMLResponse)
async def confirm(request: Request, campaign_id: CampaignId, action: str) -> Response:
    who = await session(request)
    if action not in CONFIRM:
        raise PageError(404, f"there is no action {action[:40]!r} to confirm")
    engine, settings = engine_of(request), settings_of(request)
    clock = reads.Clock.of(settings)
    view = await call(reads.campaign_detail, engine, who.caller.scope, campaign_id, clock)
    detail = CampaignDetail.of(view, clock)
    title, text = CONFIRM[action]
    return render(request, "confirm.html", who, c=detail, action=action, title=title, text=text)


@router.get("/accounts", response_class=HTMLResponse)
async def accounts(
    request: Request, done: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    who = await session(request)
    engine, settings = engine_of(request), settings_of(request)
    views = await call(account_api.listed, who.caller, engine, settings)
    flight = await call(glance.in_flight, engine)
    for view in views:
        view["in_flight"] = flight.get(view["name"], 0)
    return render(request, "accounts.html", who, accounts=views, done=DONE.get(done or ""))


@router.get("/replies", response_class=HTMLResponse)
async def replies(request: Request) -> Response:
    who = await session(request)
    engine, settings = engine_of(request), settings_of(request)
    tz = settings.window.tz
    midnight = datetime.combine(datetime.now(tz).date(), time(0), tz)
    latest = await call(glance.latest_replies, engine, who.caller.scope, 100)
    opt_outs = await call(glance.opt_outs_since, engine, who.caller.scope, midnight)
    return render(request, "replies.html", who, replies=latest, opt_outs_today=opt_outs)
