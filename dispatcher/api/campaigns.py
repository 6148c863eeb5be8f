"""``/v1/campaigns``: submit, read, export and steer campaigns."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection, Engine

from dispatcher import intake
from dispatcher.api.deps import CallerDep, EngineDep, SettingsDep
from dispatcher.api.health import CAMPAIGNS_SUBMITTED, RECIPIENTS_SUBMITTED
from dispatcher.api.problems import ApiProblem
from dispatcher.api.schemas import (
    ActionResult,
    CampaignCreated,
    CampaignDetail,
    CampaignPage,
    Priority,
    Problem,
    RecipientPage,
    ReplyPage,
    UncertainResolved,
)
from dispatcher.api.uploads import CSV_TYPES, from_csv, from_json, from_multipart
from dispatcher.domain.message import Method
from dispatcher.domain.status import CampaignStatus, Purpose, RecipientStatus
from dispatcher.engine import recover
from dispatcher.errors import Conflict
from dispatcher.store import reads, reports, steering

router = APIRouter(prefix="/v1", tags=["campaigns"])
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
            "example": "msisdn\n+57 310 211 1111\n3102111112\n",
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
                    "recipients": {"type": "string", "format": "binary"},
                },
            }
        },
    },
}


def _stored_answer(engine: Engine, campaign_id: int, interval_s: float) -> dict[str, Any]:
    row, sample = reads.intake_answer(engine, campaign_id)
    return _answer(row, sample, interval_s)


def _answer(
    row: dict[str, Any],
    sample: list[dict[str, Any]],
    interval_s: float,
    ignored_columns: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "ignored_columns": ignored_columns,
        "id": row["id"],
        "status": row["status"],
        "counts": {
            k: row[k] for k in ("submitted", "sendable", "invalid", "duplicate", "suppressed")
        },
        "chunks": row["chunks"],
        "encoding": row["encoding"],
        "segments": row["segments"],
        "estimated_duration_s": round(row["chunks"] * interval_s, 1),
        "invalid_sample": sample,
        "links": {
            "self": f"/v1/campaigns/{row['id']}",
            "recipients": f"/v1/campaigns/{row['id']}/recipients",
        },
    }


def _replay(
    engine: Engine, tenant: int, key: str, digest: str, interval_s: float
) -> dict[str, Any] | None:
    found = reads.by_idempotency_key(engine, tenant, key)
    if found is None:
        return None
    campaign_id, stored = found
    if stored != digest:
        raise Conflict(
            f"Idempotency-Key {key!r} was used for campaign {campaign_id} with a different body; "
            "use a new key for a new campaign"
        )
    return _stored_answer(engine, campaign_id, interval_s)


@router.post(
    "/campaigns",
    status_code=201,
    response_model=CampaignCreated,
    responses=PROBLEMS,
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
) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        submission = await from_json(request, settings)
    elif ctype in CSV_TYPES:
        submission = await from_csv(request, settings)
    elif ctype == "multipart/form-data":
        submission = await from_multipart(request, settings)
    else:
        raise ApiProblem(
            415,
            f"content type {ctype or '(none)'!r} is not accepted: send application/json, "
            "text/csv (fields in the query string) or multipart/form-data",
            "unsupported-media-type",
        )
    interval = settings.block_interval_s
    try:
        if idempotency_key and (
            replay := await run_in_threadpool(
                _replay, engine, who.tenant_id, idempotency_key, submission.digest, interval
            )
        ):
            response.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            result = await run_in_threadpool(
                intake.submit,
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
        except Conflict:  # the same key committed by a concurrent request
            assert idempotency_key is not None
            replay = await run_in_threadpool(
                _replay, engine, who.tenant_id, idempotency_key, submission.digest, interval
            )
            if replay is None:
                raise
            response.headers["Idempotent-Replayed"] = "true"
            return replay
    finally:
        if submission.handle is not None:
            submission.handle.close()
    counts = result.counts
    CAMPAIGNS_SUBMITTED.inc()
    for outcome in ("sendable", "invalid", "duplicate", "suppressed"):
        RECIPIENTS_SUBMITTED.labels(outcome).inc(getattr(counts, outcome))
    row = {
        "id": result.campaign_id,
        "status": CampaignStatus.SCHEDULED,
        "chunks": result.chunks,
        "encoding": result.message.encoding.value,
        "segments": result.message.segments,
        "submitted": counts.submitted,
        "sendable": counts.sendable,
        "invalid": counts.invalid,
        "duplicate": counts.duplicate,
        "suppressed": counts.suppressed,
    }
    response.headers["Location"] = f"/v1/campaigns/{result.campaign_id}"
    return _answer(row, result.invalid_sample, interval, submission.ignored_columns)


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
    items, cursor = await run_in_threadpool(
        reads.campaign_page,
        engine,
        who.scope,
        status,
        before,
        limit,
        reads.Clock.of(settings),
        tenant,
    )
    return {"items": items, "next_before": cursor}


@router.get("/campaigns/{campaign_id}", response_model=CampaignDetail, responses=PROBLEMS)
async def get_campaign(
    campaign_id: CampaignId, who: CallerDep, engine: EngineDep, settings: SettingsDep
) -> dict[str, Any]:
    return await run_in_threadpool(
        reads.campaign_detail, engine, who.scope, campaign_id, reads.Clock.of(settings)
    )


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
    return await run_in_threadpool(in_transaction, steering.pause, engine, who.scope, campaign_id)


@router.post("/campaigns/{campaign_id}/resume", response_model=ActionResult, responses=PROBLEMS)
async def resume_campaign(campaign_id: CampaignId, who: CallerDep, engine: EngineDep) -> Any:
    return await run_in_threadpool(in_transaction, steering.resume, engine, who.scope, campaign_id)


@router.post("/campaigns/{campaign_id}/cancel", response_model=ActionResult, responses=PROBLEMS)
async def cancel_campaign(campaign_id: CampaignId, who: CallerDep, engine: EngineDep) -> Any:
    """Unsent numbers become cancelled; a block already at the provider finishes."""
    return await run_in_threadpool(in_transaction, steering.cancel, engine, who.scope, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/requeue-uncertain",
    response_model=UncertainResolved,
    responses=PROBLEMS,
)
async def requeue_uncertain(campaign_id: CampaignId, who: CallerDep, engine: EngineDep) -> Any:
    """Send the uncertain recipients again: only when the provider's report shows they
    did not go out (otherwise they get the message twice)."""
    moved = await run_in_threadpool(recover.requeue_uncertain, engine, campaign_id, who.scope)
    return {"id": campaign_id, "recipients": moved, "now": RecipientStatus.PENDING}


@router.post(
    "/campaigns/{campaign_id}/close-uncertain",
    response_model=UncertainResolved,
    responses=PROBLEMS,
)
async def close_uncertain(
    campaign_id: CampaignId,
    who: CallerDep,
    engine: EngineDep,
    outcome: Annotated[
        Literal["accepted", "rejected"],
        Query(alias="as", description="What the provider's report says happened to them"),
    ],
) -> Any:
    """Record what the provider's web report says about the uncertain recipients."""
    close = partial(steering.close_uncertain, outcome=RecipientStatus(outcome))
    closed = await run_in_threadpool(in_transaction, close, engine, who.scope, campaign_id)
    return {"id": campaign_id, "recipients": closed, "now": outcome}


def in_transaction(
    action: Callable[[Connection, int, int | None], Any],
    engine: Engine,
    scope: int | None,
    campaign_id: int,
) -> Any:
    with engine.begin() as conn:
        return action(conn, campaign_id, scope)
