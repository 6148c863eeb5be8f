"""``/v1/campaigns``: submit, read, export and steer campaigns."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from dispatcher import intake
from dispatcher.api.deps import CallerDep, EngineDep, OperatorDep, SettingsDep, in_reach
from dispatcher.api.problems import ApiProblem
from dispatcher.api.schemas import (
    ActionResult,
    CampaignCreated,
    CampaignDetail,
    CampaignDryRun,
    CampaignPage,
    CampaignSummary,
    Priority,
    Problem,
    RecipientPage,
    ReplyPage,
    TextPage,
    UncertainResolved,
)
from dispatcher.api.uploads import CSV_TYPES, Submission, from_csv, from_json, from_multipart
from dispatcher.domain.forecast import plan_lines
from dispatcher.domain.message import Method
from dispatcher.domain.status import CampaignStatus, Purpose, RecipientStatus
from dispatcher.engine import steer
from dispatcher.settings import Settings
from dispatcher.store import reads, reports
from dispatcher.store.apikeys import Caller
from dispatcher.store.rows import StoredIntake

# Every route with a campaign_id is within a key's --accounts (deps.in_reach).
router = APIRouter(prefix="/v1", tags=["campaigns"], dependencies=[Depends(in_reach)])
CampaignId = Annotated[int, Path(ge=1, le=2**62, description="The campaign's id")]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (401, 403, 404, 409, 413, 415, 422)
}

_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/CampaignIn"}},
        "text/csv": {
            "schema": {"type": "string"},
            "example": "celular,nombre\n+57 310 211 1111,Ana\n3102111112,Luis\n",
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["name", "message", "recipients"],
                "properties": {
                    "name": {"type": "string"},
                    "message": {"type": "string"},
                    "method": {"type": "string", "enum": [m.value for m in Method]},
                    "purpose": {"type": "string", "enum": [p.value for p in Purpose]},
                    "priority": {"type": "string", "enum": ["normal", "high"]},
                    "transliterate": {"type": "boolean"},
                    "test": {"type": "boolean"},
                    "start_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": "string", "format": "date-time"},
                    "callback_url": {"type": "string", "format": "uri"},
                    "account": {"type": "string"},
                    "number_column": {"type": "string"},
                    "recipients": {"type": "string", "format": "binary"},
                },
            }
        },
    },
}


def _answer(
    stored: StoredIntake, settings: Settings, ignored_columns: list[str] | None = None
) -> dict[str, Any]:
    """The 201 (or a replay's 201, or a dry run's 200): what intake stored and refused,
    and the plan (also in words, as the CLI and the page show it)."""
    interval_s = settings.block_interval_s
    words = plan_lines(stored.plan, settings.window.tz) if stored.plan else []
    answer = {
        "ignored_columns": ignored_columns,
        "id": stored.campaign_id,
        "status": stored.status,
        "counts": {
            "submitted": stored.submitted,
            "sendable": stored.sendable,
            "invalid": stored.invalid,
            "duplicate": stored.duplicate,
            "suppressed": stored.suppressed,
            "reached_today": stored.reached_today,
            "on_exclusion_lists": {
                x["name"]: x["excluded"] for x in (stored.plan or {}).get("lists", [])
            },
        },
        "chunks": stored.chunks,
        "encoding": stored.encoding,
        "segments": stored.segments,
        "estimated_duration_s": round(stored.chunks * interval_s, 1),
        "invalid_sample": [asdict(s) for s in stored.invalid_sample],
        "plan": stored.plan,
        "plan_words": [{"label": label, "text": text} for label, text in words],
    }
    if stored.campaign_id is None:  # a dry run: nothing to point at
        del answer["id"]
    else:
        answer["links"] = {
            "self": f"/v1/campaigns/{stored.campaign_id}",
            "recipients": f"/v1/campaigns/{stored.campaign_id}/recipients",
            "texts": f"/v1/campaigns/{stored.campaign_id}/texts",
        }
    return answer


@router.post(
    "/campaigns",
    status_code=201,
    response_model=CampaignCreated | CampaignDryRun,
    responses={
        **PROBLEMS,
        200: {"model": CampaignDryRun, "description": "dry_run=true: what it would be"},
    },
    openapi_extra={"requestBody": _REQUEST_BODY},
    summary="Submit a campaign (JSON, CSV body, or multipart with a CSV file)",
)
async def create_campaign(
    request: Request,
    response: Response,
    who: CallerDep,
    engine: EngineDep,
    settings: SettingsDep,
    strict: Annotated[
        bool, Query(description="Refuse the campaign if any number is invalid")
    ] = False,
    dry_run: Annotated[
        bool,
        Query(description="Check and plan it, store nothing: 200 with the same body, no id"),
    ] = False,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
    # With a CSV body the campaign's fields come in the query string (as in the JSON body;
    # read and checked together with the body).
    name: Annotated[str | None, Query(description="CSV body: the campaign's name")] = None,
    message: Annotated[str | None, Query(description="CSV body: the text")] = None,
    method: Annotated[Method | None, Query(description="CSV body: metodo_envio")] = None,
    purpose: Annotated[Purpose | None, Query(description="CSV body: Ley 2300 or not")] = None,
    priority: Annotated[Priority | None, Query(description="CSV body")] = None,
    start_at: Annotated[
        str | None, Query(description="CSV body: not before, ISO 8601 with offset")
    ] = None,
    expires_at: Annotated[
        str | None, Query(description="CSV body: what is not sent by then is cancelled")
    ] = None,
    callback_url: Annotated[
        str | None, Query(description="CSV body: called when the campaign ends")
    ] = None,
    account: Annotated[
        str | None, Query(description="CSV body: the provider account to send through")
    ] = None,
    reply_url: Annotated[
        str | None, Query(description="CSV body, 2via: where each reply is POSTed")
    ] = None,
    transliterate: Annotated[
        bool | None, Query(description="CSV body: convert the texts to GSM-7 where possible")
    ] = None,
    number_column: Annotated[
        str | None, Query(description="CSV body: the column with the numbers")
    ] = None,
    test: Annotated[bool | None, Query(description="CSV body: a test to at most 5 numbers")] = None,
) -> dict[str, Any]:
    submission = await _submission(request, settings)
    if dry_run:
        return await _dry_run(response, submission, engine, settings, who, strict)
    try:
        done = await run_in_threadpool(
            intake.submit_once,
            engine,
            settings,
            who.tenant_id,
            submission.spec,
            submission.numbers,
            request_hash=submission.digest,
            idempotency_key=idempotency_key,
            strict=strict,
            allowed_accounts=who.accounts,
        )
    finally:
        if submission.handle is not None:
            submission.handle.close()
    if done.replayed:
        response.headers["Idempotent-Replayed"] = "true"
        return _answer(done.stored, settings)
    response.headers["Location"] = f"/v1/campaigns/{done.stored.campaign_id}"
    return _answer(done.stored, settings, submission.ignored_columns)


async def _dry_run(
    response: Response,
    submission: Submission,
    engine: Engine,
    settings: Settings,
    who: Caller,
    strict: bool,
) -> dict[str, Any]:
    """Everything intake does, rolled back: no campaign, no recipient, no key."""
    try:
        result = await run_in_threadpool(
            intake.submit,
            engine,
            settings,
            who.tenant_id,
            submission.spec,
            submission.numbers,
            request_hash="dry-run",
            strict=strict,
            allowed_accounts=who.accounts,
            dry_run=True,
        )
    finally:
        if submission.handle is not None:
            submission.handle.close()
    response.status_code = 200
    return _answer(intake.as_stored(result), settings, submission.ignored_columns)


async def _submission(request: Request, settings: Settings) -> Submission:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        return await from_json(request, settings)
    if ctype in CSV_TYPES:
        return await from_csv(request, settings)
    if ctype == "multipart/form-data":
        return await from_multipart(request, settings)
    raise ApiProblem(
        415,
        f"content type {ctype or '(none)'!r} is not accepted: send application/json, "
        "text/csv (fields in the query string) or multipart/form-data",
        "unsupported-media-type",
    )


@router.get("/campaigns", response_model=CampaignPage, responses=PROBLEMS)
async def list_campaigns(
    who: CallerDep,
    engine: EngineDep,
    settings: SettingsDep,
    status: Annotated[CampaignStatus | None, Query()] = None,
    tenant: Annotated[
        str | None,
        Query(max_length=100, description="Only this tenant's (an operator's key; by name)"),
    ] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="Cursor: next_before")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    clock = reads.Clock.of(settings)
    items, cursor = await run_in_threadpool(
        reads.campaign_page,
        engine,
        who.scope,
        status,
        before,
        limit,
        clock,
        tenant,
        None if who.is_operator else who.accounts,
    )
    return {"items": [CampaignSummary.of(c, clock) for c in items], "next_before": cursor}


@router.get("/campaigns/{campaign_id}", response_model=CampaignDetail, responses=PROBLEMS)
async def get_campaign(
    campaign_id: CampaignId, who: CallerDep, engine: EngineDep, settings: SettingsDep
) -> CampaignDetail:
    clock = reads.Clock.of(settings)
    detail = await run_in_threadpool(reads.campaign_detail, engine, who.scope, campaign_id, clock)
    return CampaignDetail.of(detail, clock)


@router.get(
    "/campaigns/{campaign_id}/recipients",
    response_model=RecipientPage,
    responses={**PROBLEMS, 200: {"content": {"text/csv": {}}}},
    summary="Per-recipient outcomes: JSON pages, or ?format=csv for the whole list streamed",
)
async def list_recipients(
    campaign_id: CampaignId,
    who: CallerDep,
    engine: EngineDep,
    status: Annotated[RecipientStatus | None, Query()] = None,
    after: Annotated[
        int | None, Query(ge=0, le=2**31 - 1, description="Cursor: next_after")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    if format == "csv":
        rows = await run_in_threadpool(reads.recipients_csv, engine, who.scope, campaign_id, status)
        filename = f"campaign-{campaign_id}-recipients.csv"
        return StreamingResponse(
            rows,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    items, cursor = await run_in_threadpool(
        reads.recipient_page, engine, who.scope, campaign_id, status, after, limit
    )
    return {"items": items, "next_after": cursor}


@router.get(
    "/campaigns/{campaign_id}/texts",
    response_model=TextPage,
    responses=PROBLEMS,
    summary="The campaign's distinct texts (text_id in the recipients export)",
)
async def list_texts(
    campaign_id: CampaignId,
    who: CallerDep,
    engine: EngineDep,
    after: Annotated[
        int | None, Query(ge=0, le=2**31 - 1, description="Cursor: next_after")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Any:
    items, cursor = await run_in_threadpool(
        reads.text_page, engine, who.scope, campaign_id, after, limit
    )
    return {"items": items, "next_after": cursor}


@router.get(
    "/campaigns/{campaign_id}/replies",
    response_model=ReplyPage,
    responses=PROBLEMS,
    summary="Replies attributed to the campaign (2via), oldest first",
)
async def list_replies(
    campaign_id: CampaignId,
    who: CallerDep,
    engine: EngineDep,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Cursor: next_after")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Any:
    items, more = await run_in_threadpool(
        reports.campaign_replies, engine, who.scope, campaign_id, after, limit
    )
    return {"items": items, "next_after": more}


@router.post("/campaigns/{campaign_id}/pause", response_model=ActionResult, responses=PROBLEMS)
async def pause_campaign(campaign_id: CampaignId, who: CallerDep, engine: EngineDep) -> Any:
    """Stop sending before the next block; what is at the provider finishes."""
    return await run_in_threadpool(steer.pause_campaign, engine, campaign_id, who.scope)


@router.post("/campaigns/{campaign_id}/resume", response_model=ActionResult, responses=PROBLEMS)
async def resume_campaign(campaign_id: CampaignId, who: CallerDep, engine: EngineDep) -> Any:
    """Sending goes on at the account's pace."""
    return await run_in_threadpool(steer.resume_campaign, engine, campaign_id, who.scope)


@router.post("/campaigns/{campaign_id}/cancel", response_model=ActionResult, responses=PROBLEMS)
async def cancel_campaign(campaign_id: CampaignId, who: CallerDep, engine: EngineDep) -> Any:
    """Unsent numbers become cancelled; a block already at the provider finishes."""
    return await run_in_threadpool(steer.cancel_campaign, engine, campaign_id, who.scope)


@router.post(
    "/campaigns/{campaign_id}/requeue-uncertain",
    response_model=UncertainResolved,
    responses=PROBLEMS,
)
async def requeue_uncertain(campaign_id: CampaignId, who: OperatorDep, engine: EngineDep) -> Any:
    """Operators: send the uncertain recipients again, only when the provider's report
    shows they did not go out (otherwise they get the message twice)."""
    moved = await run_in_threadpool(steer.requeue_uncertain, engine, campaign_id, who.scope)
    return {"id": campaign_id, "recipients": moved, "now": RecipientStatus.PENDING}


@router.post(
    "/campaigns/{campaign_id}/close-uncertain",
    response_model=UncertainResolved,
    responses=PROBLEMS,
)
async def close_uncertain(
    campaign_id: CampaignId,
    who: OperatorDep,
    engine: EngineDep,
    outcome: Annotated[
        Literal["accepted", "rejected"],
        Query(alias="as", description="What the provider's report says happened to them"),
    ],
) -> Any:
    """Operators: record what the provider's web report says of the uncertain recipients."""
    closed = await run_in_threadpool(
        steer.close_uncertain, engine, campaign_id, who.scope, RecipientStatus(outcome)
    )
    return {"id": campaign_id, "recipients": closed, "now": outcome}
