"""The page's writing side: a new campaign, saved templates, the suppression list and
finding a number.  Each calls what the JSON API calls: the new-campaign form's script
submits through ``/v1/campaigns`` (with the session's token), and these forms reach the
same store functions as ``/v1/templates`` and ``/v1/suppressions``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from dispatcher.accounts import accounts_for, configured_accounts
from dispatcher.api import suppressions as suppression_api
from dispatcher.api.problems import ApiProblem
from dispatcher.api.templates import TemplateIn, template_fields
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
    token_checked,
)
from dispatcher.api.uploads import multipart_form
from dispatcher.domain.message import Method
from dispatcher.domain.numbers import normalise
from dispatcher.domain.status import Purpose
from dispatcher.intake.preview import SAMPLE_BYTES
from dispatcher.intake.sources import CsvNumbers
from dispatcher.intake.spec import TEST_MAX
from dispatcher.settings import ACCOUNT_NAME
from dispatcher.store import glance, message_templates, suppressions
from dispatcher.store.sessions import Session

router = APIRouter(prefix="/ui", include_in_schema=False)
TemplateId = Annotated[int, Path(ge=1, le=2**62)]
LIST_PAGE = 50

DONE = {
    "template-saved": "The template is saved.",
    "template-deleted": "The template is deleted.",
    "suppression-removed": "The number is off the list; the removal is kept with your reason.",
}


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/campaigns/new", response_class=HTMLResponse)
async def new_campaign(request: Request) -> Response:
    who = await session(request)
    settings = settings_of(request)
    allowed = who.caller.accounts
    accounts = [a for a in configured_accounts(settings) if allowed is None or a.name in allowed]
    saved = await call(message_templates.listed, engine_of(request), who.caller.tenant_id)
    return render(
        request,
        "new.html",
        who,
        accounts=accounts,
        templates=saved,
        purposes=list(Purpose),
        methods=list(Method),
        max_recipients=settings.max_recipients,
        sample_bytes=SAMPLE_BYTES,
        test_max=TEST_MAX,
    )


# -- templates --------------------------------------------------------------------------


@router.get("/templates", response_class=HTMLResponse)
async def templates(
    request: Request,
    edit: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    who = await session(request)
    engine = engine_of(request)
    saved = await call(message_templates.listed, engine, who.caller.tenant_id)
    editing = (
        await call(message_templates.one, engine, who.caller.tenant_id, edit) if edit else None
    )
    return _templates_page(request, who, saved, editing, done=DONE.get(done or ""))


def _templates_page(
    request: Request,
    who: Session,
    saved: list[message_templates.SavedTemplate],
    editing: Any,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "templates.html",
        who,
        status_code=status_code,
        saved=saved,
        editing=editing,
        purposes=list(Purpose),
        methods=list(Method),
        **context,
    )


def _template_in(form: Mapping[str, Any]) -> TemplateIn | str:
    """The form as the API's body, or what is wrong with it in words."""
    try:
        fields = ("name", "message", "purpose", "method")
        return TemplateIn.model_validate({k: form[k] for k in fields if form.get(k) is not None})
    except ValidationError as exc:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )


@router.post("/templates")
async def save_template(request: Request) -> Response:
    who = await session(request)
    form = await checked_form(request, who)
    engine, tenant = engine_of(request), who.caller.tenant_id
    body = _template_in(form)
    raw_id = str(form.get("id") or "")
    template_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 18 else None
    if isinstance(body, str):  # the page again, with what was typed and what to fix
        saved = await call(message_templates.listed, engine, tenant)
        typed = {k: form.get(k) for k in ("name", "message", "purpose", "method")}
        editing = {"id": template_id, **typed}
        return _templates_page(request, who, saved, editing, 422, error=body)
    if template_id is None:
        await call(message_templates.create, engine, tenant, template_fields(body))
    else:
        await call(message_templates.change, engine, tenant, template_id, template_fields(body))
    return _see("/ui/templates?done=template-saved")


@router.post("/templates/{template_id}/delete")
async def delete_template(request: Request, template_id: TemplateId) -> Response:
    who = await session(request)
    await checked_form(request, who)
    await call(message_templates.remove, engine_of(request), who.caller.tenant_id, template_id)
    return _see("/ui/templates?done=template-deleted")


# -- suppressions -----------------------------------------------------------------------


@router.get("/suppressions", response_class=HTMLResponse)
async def suppression_list(
    request: Request,
    msisdn: Annotated[str | None, Query(max_length=64)] = None,
    account: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[str | None, Query(max_length=80, pattern=r"^[^:]+:\d{12}$")] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    who = await session(request)
    return await _suppressions_page(request, who, msisdn, account, after, DONE.get(done or ""))


async def _suppressions_page(
    request: Request,
    who: Session,
    msisdn: str | None = None,
    account: str | None = None,
    after: str | None = None,
    done: str | None = None,
    **context: Any,
) -> HTMLResponse:
    settings, engine = settings_of(request), engine_of(request)
    names = accounts_for(settings, None, who.caller.accounts)
    account = account if account in names else None
    rows: list[Any] = []
    more = None
    searched = None
    if msisdn:
        searched = normalise(msisdn, settings.default_region)
    if who.caller.is_operator and (searched is None or searched.msisdn):
        cursor = tuple(after.rsplit(":", 1)) if after else None
        chosen = [account] if account else names
        number = searched.msisdn if searched else None

        def read() -> tuple[list[Any], Any]:
            with engine.connect() as conn:
                return suppressions.page(conn, chosen, number, cursor, LIST_PAGE)  # type: ignore[arg-type]

        rows, more = await call(read)
    owners = {r.tenant_id for r in rows if r.tenant_id != suppressions.EVERYONE}
    whose = await call(glance.tenants_by_id, engine, owners)
    return render(
        request,
        "suppressions.html",
        who,
        accounts=names,
        account=account,
        rows=rows,
        whose=whose,
        next_after=f"{more[0]}:{more[1]}" if more else None,
        msisdn=msisdn or "",
        searched=searched,
        done=done,
        tenant_max=suppression_api.TENANT_MAX,
        **context,
    )


_SEPARATORS = re.compile(r"[\s,;]+")


def _typed_numbers(text: str) -> Iterator[tuple[int, str]]:
    """Numbers typed in a box, one a line or separated by commas: (position, number)."""
    return enumerate((n for n in _SEPARATORS.split(text) if n), start=1)


@router.post("/suppressions/add")
async def add_suppressions(request: Request) -> Response:
    """Typed numbers (a form), or an operator's file (multipart, its token inside)."""
    who = await session(request)
    settings = settings_of(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        form = await checked_form(request, who)
        typed = _typed_numbers(str(form.get("numbers") or ""))
        return await _add(request, who, form, typed)
    operator(who)  # a file is an import: an operator's
    same_origin(request)
    form = token_checked(await multipart_form(request, settings.max_upload_bytes), who)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise PageError(422, "choose a CSV file (a column of numbers) to import")
    try:
        return await _add(request, who, form, CsvNumbers(upload.file))
    finally:
        upload.file.close()


async def _add(
    request: Request, who: Session, form: Mapping[str, Any], numbers: Iterable[tuple[int, str]]
) -> Response:
    account = str(form.get("account") or "") or None
    if account is not None and not re.fullmatch(ACCOUNT_NAME, account):
        raise PageError(422, "choose an account from the list")
    reason = str(form.get("reason") or "").strip() or None
    if reason is not None and not re.fullmatch(suppression_api.REASON, reason):
        raise PageError(
            422, "the reason is up to 64 letters, digits, spaces and . _ : / - characters"
        )
    if not who.caller.is_operator:
        try:
            suppression_api.adding_limit(request, who.caller.tenant_id)
        except ApiProblem as exc:
            raise PageError(429, exc.detail) from None
    engine, settings = engine_of(request), settings_of(request)
    result = await call(suppression_api.add, engine, settings, who.caller, numbers, account, reason)
    return await _suppressions_page(request, who, added=result)


@router.get("/suppressions/remove", response_class=HTMLResponse)
async def confirm_removal(
    request: Request,
    msisdn: Annotated[str, Query(max_length=64)],
    account: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    who = await session(request)
    operator(who)
    number = normalise(msisdn, settings_of(request).default_region)
    if number.msisdn is None:
        raise PageError(422, f"{msisdn[:40]!r} is not a phone number ({number.reason})")
    return render(
        request, "remove.html", who, msisdn=number.msisdn, account=account or "", error=None
    )


@router.post("/suppressions/remove")
async def remove_suppression(request: Request) -> Response:
    who = await session(request)
    form = await checked_form(request, who)
    operator(who)
    settings = settings_of(request)
    number = normalise(str(form.get("msisdn") or ""), settings.default_region)
    if number.msisdn is None:
        raise PageError(422, "the number to remove is not a phone number")
    account = str(form.get("account") or "") or None
    why = str(form.get("why") or "").strip()
    if not 3 <= len(why) <= 500:
        return render(
            request,
            "remove.html",
            who,
            status_code=422,
            msisdn=number.msisdn,
            account=account or "",
            error="Say why it comes off the list (3 to 500 characters): it is kept in the audit.",
        )
    await call(  # an account the key may not use is refused there
        suppression_api.remove,
        engine_of(request),
        settings,
        who.caller,
        number.msisdn,
        account,
        why,
    )
    return _see("/ui/suppressions?done=suppression-removed")


# -- finding a number -------------------------------------------------------------------


@router.get("/numbers", response_class=HTMLResponse)
async def find_number(
    request: Request, msisdn: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    who = await session(request)
    settings = settings_of(request)
    found = None
    problem = None
    if msisdn:
        number = normalise(msisdn, settings.default_region)
        if number.msisdn is None:
            problem = f"{msisdn[:40]!r} is not a phone number we can send to ({number.reason})"
        else:
            found = await run_in_threadpool(
                suppression_api.number_history,
                engine_of(request),
                settings,
                who.caller,
                number.msisdn,
            )
    return render(request, "numbers.html", who, msisdn=msisdn or "", found=found, problem=problem)
