"""``/v1/suppressions``: numbers never to be sent again through an account.

A tenant may add numbers (its own customers' requests, at most ``TENANT_MAX`` at a
time) and look one up; importing in bulk, exporting the list and taking numbers off it
act on every tenant of the account, so they need an operator.  Removals are audited."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine

from dispatcher.accounts import accounts_for
from dispatcher.api.campaigns import PROBLEMS
from dispatcher.api.deps import CallerDep, EngineDep, OperatorDep, SettingsDep
from dispatcher.api.problems import ApiProblem
from dispatcher.api.throttle import FailureThrottle, too_many
from dispatcher.api.uploads import CSV_TYPES, spool
from dispatcher.domain.numbers import normalise
from dispatcher.domain.status import SuppressionSource
from dispatcher.errors import Forbidden, NotFound
from dispatcher.intake.json_body import JsonCampaign
from dispatcher.intake.sources import CsvNumbers
from dispatcher.settings import ACCOUNT_NAME, Settings
from dispatcher.store import glance, suppressions
from dispatcher.store.apikeys import Caller
from dispatcher.store.rows import SuppressionRow

router = APIRouter(prefix="/v1", tags=["suppressions"])
TENANT_MAX = 1000  # more at once is an import: an operator's
REASON = r"^[A-Za-z0-9_.:/ -]{1,64}$"


class SuppressionOut(BaseModel):
    account: str
    msisdn: str
    reason: str
    source: SuppressionSource
    by: str | None
    at: Any
    tenant_id: int = Field(
        0, description="0: for every tenant on the account; else only that tenant's campaigns"
    )


class SuppressionPage(BaseModel):
    items: list[SuppressionOut]
    next_after: str | None = Field(description="Cursor for the next page: after=<it>")


class Imported(BaseModel):
    accounts: list[str]
    read: int = Field(description="Numbers in the request")
    added: int = Field(description="New on a list (a number counts once per account)")
    already: int = Field(description="Already on the list")
    invalid: int
    repeated: int = Field(description="Given more than once in the request")
    invalid_sample: list[dict[str, Any]]


class NumberOut(BaseModel):
    msisdn: str
    suppressed: list[SuppressionOut]
    removed: list[dict[str, Any]] = Field(description="Operators: the audit of removals")


class Removed(BaseModel):
    msisdn: str
    removed_from: list[str]


def msisdn_of(raw: str, settings: Settings) -> str:
    number = normalise(raw, settings.default_region)
    if number.msisdn is None:
        raise ApiProblem(
            422,
            f"{raw[:40]!r} is not a phone number we can send to ({number.reason})",
            "invalid-number",
            errors=[{"field": "msisdn", "detail": str(number.reason)}],
        )
    return number.msisdn


@router.get(
    "/suppressions",
    response_model=SuppressionPage,
    responses={**PROBLEMS, 200: {"content": {"text/csv": {}}}},
    summary="The suppression list (operators): JSON pages or ?format=csv",
)
async def list_suppressions(
    who: OperatorDep,
    engine: EngineDep,
    settings: SettingsDep,
    account: Annotated[str | None, Query(pattern=ACCOUNT_NAME)] = None,
    after: Annotated[
        str | None, Query(max_length=80, pattern=r"^[^:]+:\d{12}$", description="Cursor")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    names = accounts_for(settings, account, who.accounts)
    if format == "csv":
        return StreamingResponse(
            suppressions.export(engine, names),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="suppressions.csv"'},
        )
    cursor = tuple(after.rsplit(":", 1)) if after else None

    def read() -> tuple[list[SuppressionRow], tuple[str, str] | None]:
        with engine.connect() as conn:
            return suppressions.page(conn, names, None, cursor, limit)  # type: ignore[arg-type]

    items, more = await run_in_threadpool(read)
    return {"items": items, "next_after": f"{more[0]}:{more[1]}" if more else None}


@router.get(
    "/suppressions/{msisdn}",
    response_model=NumberOut,
    responses=PROBLEMS,
    summary="Is a number suppressed, on which accounts, and (operators) its removals",
)
async def one_number(
    msisdn: Annotated[str, Path(max_length=64)],
    who: CallerDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> Any:
    number = msisdn_of(msisdn, settings)

    def read() -> dict[str, Any]:
        with engine.connect() as conn:
            items = _listed(conn, settings, who, number)
            removed = suppressions.removals(conn, number) if who.is_operator else []
        return {"msisdn": number, "suppressed": items, "removed": [asdict(r) for r in removed]}

    return await run_in_threadpool(read)


def _listed(conn: Connection, settings: Settings, who: Caller, msisdn: str) -> list[Any]:
    """A number's entries on the lists of the accounts the key may use, as the caller may
    read them (a tenant: everyone's in general words, its own, never another tenant's)."""
    names = accounts_for(settings, None, who.accounts)
    seen_by = None if who.is_operator else who.tenant_id
    return suppressions.page(conn, names, msisdn, None, 100, seen_by)[0]


_SUPPRESSIONS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["numbers"],
                "properties": {
                    "numbers": {"type": "array", "items": {"type": "string"}},
                    "account": {"type": "string"},
                    "reason": {"type": "string", "pattern": REASON},
                },
            }
        },
        "text/csv": {"schema": {"type": "string"}, "example": "msisdn\n3102111111\n"},
    },
}


@router.post(
    "/suppressions",
    response_model=Imported,
    responses=PROBLEMS,
    openapi_extra={"requestBody": _SUPPRESSIONS_BODY},
    summary="Add numbers: a tenant a few at a time, an operator in bulk (JSON or CSV)",
)
async def add_suppressions(
    request: Request,
    who: CallerDep,
    engine: EngineDep,
    settings: SettingsDep,
    account: Annotated[
        str | None, Query(pattern=ACCOUNT_NAME, description="CSV body: one account (all)")
    ] = None,
    reason: Annotated[str | None, Query(pattern=REASON, description="CSV body: why")] = None,
) -> Any:
    if not who.is_operator:
        adding_limit(request, who.tenant_id)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    handle = await spool(request, settings.max_upload_bytes)
    try:
        if kind == "application/json":
            numbers, account, reason = _json(handle, account, reason)
        elif kind in CSV_TYPES:
            numbers = CsvNumbers(handle)
        else:
            raise ApiProblem(
                415,
                f"content type {kind or '(none)'!r} is not accepted: send application/json "
                '({"numbers": [...]}) or text/csv',
                "unsupported-media-type",
            )
        result = await run_in_threadpool(add, engine, settings, who, numbers, account, reason)
    finally:
        handle.close()
    return asdict(result)


def add(
    engine: Engine,
    settings: Settings,
    who: Caller,
    numbers: Iterable[tuple[int, str]],
    account: str | None,
    reason: str | None,
) -> suppressions.Imported:
    """Numbers onto the list: an operator's for every tenant, in bulk; a tenant's for its
    own campaigns, at most TENANT_MAX at a time (the API's and the page's)."""
    return suppressions.import_numbers(
        engine,
        accounts_for(settings, account, who.accounts),
        numbers if who.is_operator else _at_most(numbers, TENANT_MAX),
        reason=reason or ("operator_import" if who.is_operator else "customer_request"),
        source=SuppressionSource.IMPORT if who.is_operator else SuppressionSource.TENANT,
        by=who.who,
        region=settings.default_region,
        # a tenant's own list, for its own campaigns; an operator's, for everyone's
        tenant_id=suppressions.EVERYONE if who.is_operator else who.tenant_id,
    )


# A tenant adds its customers' requests a few at a time: at most this many requests a
# minute (each at most TENANT_MAX numbers), so no tenant can block an audience at speed.
ADDS_PER_MINUTE = 30


def adding_limit(request: Request, tenant_id: int) -> None:
    adds: FailureThrottle | None = getattr(request.app.state, "suppression_adds", None)
    if adds is None:
        adds = request.app.state.suppression_adds = FailureThrottle(ADDS_PER_MINUTE, 60.0)
    tenant = str(tenant_id)
    if (wait := adds.retry_after(tenant)) is not None:
        raise too_many(f"at most {ADDS_PER_MINUTE} additions a minute per tenant", wait)
    adds.failed(tenant)  # counted like a failure: the same window


def _json(
    handle: IO[bytes], account: str | None, reason: str | None
) -> tuple[Iterable[tuple[int, str]], str | None, str | None]:
    body = JsonCampaign(handle, list_key="numbers")
    fields, _count, _digest = body.fields()
    if "numbers" not in fields:
        raise ApiProblem(
            422,
            'the body needs "numbers": a list of phone numbers',
            "invalid-suppression",
            errors=[{"field": "numbers", "detail": "Field required"}],
        )
    for name, given in (("account", fields.get("account")), ("reason", fields.get("reason"))):
        if given is not None and (not isinstance(given, str) or len(given) > 64 or not given):
            raise ApiProblem(
                422,
                f"{name} must be a short text",
                "invalid-suppression",
                errors=[{"field": name, "detail": "a text of 1 to 64 characters"}],
            )
    if unknown := set(fields) - {"numbers", "account", "reason"}:
        raise ApiProblem(
            422,
            f"unknown fields: {', '.join(sorted(k[:40] for k in unknown))}",
            "invalid-suppression",
        )
    return body.recipients(), fields.get("account") or account, fields.get("reason") or reason


def _at_most(numbers: Iterable[tuple[int, str]], limit: int) -> Iterator[tuple[int, str]]:
    for count, item in enumerate(numbers, start=1):
        if count > limit:
            raise Forbidden(
                f"more than {limit:,} numbers is an import, which needs an operator's key; "
                "send your customers' requests a few at a time"
            )
        yield item


@router.delete(
    "/suppressions/{msisdn}",
    response_model=Removed,
    responses=PROBLEMS,
    summary="Take a number off the list (operators; audited with who and why)",
)
async def remove_suppression(
    msisdn: Annotated[str, Path(max_length=64)],
    who: OperatorDep,
    engine: EngineDep,
    settings: SettingsDep,
    why: Annotated[str, Query(min_length=3, max_length=500, description="Why: kept in the audit")],
    account: Annotated[str | None, Query(pattern=ACCOUNT_NAME)] = None,
) -> Any:
    number = msisdn_of(msisdn, settings)
    removed = await run_in_threadpool(remove, engine, settings, who, number, account, why)
    return {"msisdn": number, "removed_from": removed}


def remove(
    engine: Engine, settings: Settings, who: Caller, msisdn: str, account: str | None, why: str
) -> list[str]:
    """Take a number off the list of one account or all (audited with who and why); the
    accounts it was on.  The API's and the page's."""
    names = accounts_for(settings, account, who.accounts)
    with engine.begin() as conn:
        listed, _ = suppressions.page(conn, names, msisdn, None, 100)
        if not listed:
            where = f"the account {account!r}" if account else "any account"
            raise NotFound(f"{msisdn} is not on the suppression list of {where}")
        # An account's entries go together (two tenants may each have one there).
        accounts = list(dict.fromkeys(row.account for row in listed))
        for name in accounts:
            suppressions.remove(conn, name, msisdn, who.who, why)
    return accounts


class NumberHistory(BaseModel):
    msisdn: str
    campaigns: list[dict[str, Any]] = Field(
        description="Every campaign that had the number, newest first, with its status there"
    )
    replies: list[dict[str, Any]] = Field(description="What the number answered, newest first")
    suppressed: list[SuppressionOut] = Field(description="The lists it is on, and why")


def number_history(engine: Engine, settings: Settings, who: Caller, msisdn: str) -> dict[str, Any]:
    """Where a number went: an operator's across every campaign, a tenant's within its
    own; the lists it is on as the caller may read them."""
    limited = None if who.is_operator else who.accounts
    found, replies = glance.number_history(engine, who.scope, limited, msisdn)
    with engine.connect() as conn:
        listed = _listed(conn, settings, who, msisdn)
    return {
        "msisdn": msisdn,
        "campaigns": [asdict(row) for row in found],
        "replies": [asdict(row) for row in replies],
        "suppressed": listed,
    }


@router.get(
    "/numbers/{msisdn}",
    response_model=NumberHistory,
    responses=PROBLEMS,
    summary="Find a number: every campaign that had it, its replies, and its suppressions",
)
async def find_number(
    msisdn: Annotated[str, Path(max_length=64)],
    who: CallerDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> Any:
    number = msisdn_of(msisdn, settings)
    return await run_in_threadpool(number_history, engine, settings, who, number)
