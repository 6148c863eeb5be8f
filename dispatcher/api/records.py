"""Operators' ``/v1/exclusion-lists`` and ``/v1/privacy``, and a campaign's evidence for
an inspection (``/v1/campaigns/{id}/evidence``, its tenant's or an operator's).  The
same store functions as ``pregonero exclusions``, ``pregonero privacy`` do."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from dispatcher.api.campaigns import PROBLEMS, CampaignId
from dispatcher.api.deps import CallerDep, EngineDep, OperatorDep, SettingsDep, in_reach
from dispatcher.api.problems import ApiProblem
from dispatcher.api.schemas import Problem
from dispatcher.api.suppressions import msisdn_of
from dispatcher.api.uploads import CSV_TYPES, spool
from dispatcher.domain.status import Purpose
from dispatcher.intake.sources import CsvNumbers
from dispatcher.store import evidence, exclusions, privacy

# The evidence route has a campaign_id: within a key's --accounts (deps.in_reach).
router = APIRouter(prefix="/v1", tags=["records"], dependencies=[Depends(in_reach)])
LIST_NAME = r"^[a-z0-9][a-z0-9_-]{0,49}$"
GONE: dict[int | str, dict[str, Any]] = {
    410: {"model": Problem, "content": {"application/problem+json": {}}},
    503: {"model": Problem, "content": {"application/problem+json": {}}},
}
ListName = Annotated[str, Path(pattern=LIST_NAME, description="e.g. rne, clientes-baja")]


class ExclusionListOut(BaseModel):
    name: str
    purposes: list[Purpose]
    source: str | None
    taken_at: datetime = Field(description="When the list's content was taken")
    age_days: int = Field(description="Days since taken_at (EXCLUSION_MAX_AGE_DAYS warns)")
    imported_at: datetime
    imported_by: str | None
    size: int


class ExclusionLists(BaseModel):
    items: list[ExclusionListOut]
    max_age_days: int = Field(description="EXCLUSION_MAX_AGE_DAYS: older lists make the plan warn")


class ListReplaced(BaseModel):
    name: str
    read: int
    size: int = Field(description="Numbers on the list now")
    added: int
    removed: int = Field(description="On the previous content, not on this one")
    invalid: int
    invalid_sample: list[dict[str, Any]]


class Erasure(BaseModel):
    number: str = Field(description="The number, as written")
    why: str = Field(min_length=3, max_length=2000, description="The request it answers")


@router.get("/exclusion-lists", response_model=ExclusionLists, responses=PROBLEMS)
async def list_exclusion_lists(who: OperatorDep, engine: EngineDep, settings: SettingsDep) -> Any:
    def read() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            now = settings.now()
            return [x.as_dict(now) for x in exclusions.lists(conn)]

    items = await run_in_threadpool(read)
    return {"items": items, "max_age_days": settings.exclusion_max_age_days}


@router.put(
    "/exclusion-lists/{name}",
    response_model=ListReplaced,
    responses=PROBLEMS,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
    summary="Replace a list's content with a CSV (a number column, or a number a line)",
)
async def replace_exclusion_list(
    name: ListName,
    request: Request,
    who: OperatorDep,
    engine: EngineDep,
    settings: SettingsDep,
    purposes: Annotated[list[Purpose], Query(min_length=1, description="Repeat: the purposes")],
    source: Annotated[str | None, Query(max_length=200)] = None,
    taken_at: Annotated[
        datetime | None, Query(description="When its content was taken (default: now)")
    ] = None,
) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in CSV_TYPES:
        raise ApiProblem(
            415, f"content type {kind or '(none)'!r} is not accepted: send text/csv",
            "unsupported-media-type",
        )  # fmt: skip
    if taken_at is not None and taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=settings.window.tz)
    handle = await spool(request, settings.max_upload_bytes)
    try:
        result = await run_in_threadpool(
            exclusions.replace_list,
            engine,
            name,
            sorted({p.value for p in purposes}),
            CsvNumbers(handle),
            taken_at=taken_at or settings.now(),
            source=source,
            by=who.who,
            region=settings.default_region,
        )
    finally:
        handle.close()
    return asdict(result)


@router.get(
    "/exclusion-lists/{name}/numbers",
    responses={**PROBLEMS, 200: {"content": {"text/csv": {}}}},
    summary="A list's numbers as CSV",
)
async def export_exclusion_list(name: ListName, who: OperatorDep, engine: EngineDep) -> Any:
    rows = await run_in_threadpool(exclusions.export, engine, name)
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="exclusion-{name}.csv"'},
    )


@router.delete("/exclusion-lists/{name}", status_code=204, responses=PROBLEMS)
async def remove_exclusion_list(name: ListName, who: OperatorDep, engine: EngineDep) -> None:
    def remove() -> None:
        with engine.begin() as conn:
            exclusions.remove(conn, name)

    await run_in_threadpool(remove)


@router.get(
    "/privacy/numbers/{number}",
    responses=PROBLEMS,
    summary="Everything stored about a number: campaigns, statuses, replies, suppressions",
)
async def privacy_find(
    number: Annotated[str, Path(max_length=40)],
    who: OperatorDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> Any:
    return await run_in_threadpool(privacy.find, engine, settings, msisdn_of(number, settings))


@router.post(
    "/privacy/erasures",
    responses={**PROBLEMS, **GONE},
    summary="Erase a number: a keyed hash replaces it everywhere; it stays suppressed",
)
async def privacy_erase(
    body: Erasure, who: OperatorDep, engine: EngineDep, settings: SettingsDep
) -> Any:
    msisdn = msisdn_of(body.number, settings)
    return await run_in_threadpool(
        privacy.erase, engine, settings, msisdn, who.who, body.why.strip()
    )


@router.get(
    "/campaigns/{campaign_id}/evidence",
    responses={**PROBLEMS, **GONE, 200: {"content": {"text/csv": {}}}},
    summary="For an inspection: per number, when it went and under which rules and lists",
)
async def campaign_evidence(campaign_id: CampaignId, who: CallerDep, engine: EngineDep) -> Any:
    rows = await run_in_threadpool(evidence.evidence_csv, engine, who.scope, campaign_id)
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-evidence.csv"'
        },
    )
