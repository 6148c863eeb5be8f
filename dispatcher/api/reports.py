"""Reports by date range (the provider's own reports live only in its web module):
``/v1/reports/outcomes``, ``/v1/reports/summary`` and the replies, ``/v1/inbound``.

``from`` and ``to`` are dates (``YYYY-MM-DD``, in the window's time zone, ``to``
included) or timestamps with an offset.  A tenant sees its own campaigns; an operator
sees every tenant's, and the replies no campaign claims."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from dispatcher.api.campaigns import PROBLEMS
from dispatcher.api.deps import CallerDep, EngineDep, SettingsDep
from dispatcher.api.problems import ApiProblem
from dispatcher.domain.period import Period, period
from dispatcher.domain.status import RecipientStatus
from dispatcher.settings import Settings
from dispatcher.store import reports
from dispatcher.store.apikeys import Caller

router = APIRouter(prefix="/v1", tags=["reports"])
CSV = {**PROBLEMS, 200: {"content": {"text/csv": {}}}}
From = Annotated[
    str, Query(alias="from", max_length=40, description="YYYY-MM-DD (Bogota) or a timestamp")
]
To = Annotated[str, Query(max_length=40, description="YYYY-MM-DD, included, or a timestamp")]
Format = Annotated[Literal["json", "csv"], Query()]
Limit = Annotated[int, Query(ge=1, le=5000)]


class OutcomeOut(BaseModel):
    campaign_id: int
    msisdn: str
    status: RecipientStatus
    reason: str | None
    code: int | None
    provider_ref: str | None
    updated_at: datetime


class OutcomePage(BaseModel):
    items: list[OutcomeOut]
    next_after: str | None = Field(description="Cursor for the next page: after=<it>")


class SummaryRow(BaseModel):
    day: date | None = None
    campaign_id: int | None = None
    campaign_name: str | None = None
    submitted: int = Field(description="Recipients whose latest change falls in the range")
    pending: int
    accepted: int
    rejected: int
    invalid: int
    suppressed: int
    uncertain: int
    cancelled: int
    failed: int
    segments: int = Field(description="What the provider charges: accepted × segments")


class Summary(BaseModel):
    start: datetime
    end: datetime
    group: str
    rows: list[SummaryRow]
    total: dict[str, int]


class InboundOut(BaseModel):
    id: int
    received_at: datetime
    msisdn: str
    text: str
    campaign_id: int | None
    account: str | None
    opt_out: bool


class InboundPage(BaseModel):
    items: list[InboundOut]
    next_after: int | None


def _period(start: str, end: str, settings: Settings) -> Period:
    return period(start, end, settings.window.tz)  # or 422, naming the field


def _csv(rows: Any, name: str) -> StreamingResponse:
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/reports/outcomes",
    response_model=OutcomePage,
    responses=CSV,
    summary="Every recipient whose outcome changed in the range: JSON pages or streamed CSV",
)
async def outcomes(
    who: CallerDep,
    engine: EngineDep,
    settings: SettingsDep,
    start: From,
    to: To,
    format: Format = "json",
    after: Annotated[str | None, Query(pattern=r"^\d{1,18}:\d{1,10}$")] = None,
    limit: Limit = 1000,
) -> Any:
    span = _period(start, to, settings)
    if format == "csv":
        rows = await run_in_threadpool(reports.outcomes_csv, engine, span, who.scope, _reach(who))
        return _csv(rows, f"outcomes-{start}-{to}")
    cursor = None
    if after:
        campaign, n = (int(part) for part in after.split(":"))
        if campaign > 2**62 or n > 2**31 - 1:
            raise ApiProblem(422, "after is not a cursor this report gave", "invalid-input")
        cursor = (campaign, n)
    items, more = await run_in_threadpool(
        reports.outcomes_page, engine, span, who.scope, cursor, limit, _reach(who)
    )
    return {"items": items, "next_after": f"{more[0]}:{more[1]}" if more else None}


@router.get(
    "/reports/summary",
    response_model=Summary,
    responses=PROBLEMS,
    summary="Recipients by status and segments charged, per day or per campaign",
)
async def summary(
    who: CallerDep,
    engine: EngineDep,
    settings: SettingsDep,
    start: From,
    to: To,
    group: Annotated[Literal["day", "campaign"], Query()] = "day",
) -> Any:
    span = _period(start, to, settings)
    rows = await run_in_threadpool(
        reports.summary, engine, span, who.scope, group, settings.timezone, _reach(who)
    )
    total = {k: sum(r.counts[k] for r in rows) for k in reports.SUMMARY_COUNTS}
    out = [
        {"day": r.day, "campaign_id": r.campaign_id, "campaign_name": r.campaign_name, **r.counts}
        for r in rows
    ]
    return {"start": span.start, "end": span.end, "group": group, "rows": out, "total": total}


@router.get(
    "/inbound",
    response_model=InboundPage,
    responses=CSV,
    summary="Replies received in the range (operators also see those no campaign claims)",
)
async def inbound(
    who: CallerDep,
    engine: EngineDep,
    settings: SettingsDep,
    start: From,
    to: To,
    attributed: Annotated[
        bool | None, Query(description="Operators: only (un)attributed replies")
    ] = None,
    format: Format = "json",
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    limit: Limit = 1000,
) -> Any:
    span = _period(start, to, settings)
    if format == "csv":
        rows = await run_in_threadpool(
            reports.inbound_csv, engine, span, who.scope, attributed, _reach(who)
        )
        return _csv(rows, f"inbound-{start}-{to}")
    items, more = await run_in_threadpool(
        reports.inbound_page, engine, span, who.scope, attributed, after, limit, _reach(who)
    )
    return {"items": items, "next_after": more}


def _reach(who: Caller) -> list[str] | None:
    """A key's ``--accounts``: its reports cover only their campaigns (None: all)."""
    return None if who.is_operator or who.accounts is None else list(who.accounts)
