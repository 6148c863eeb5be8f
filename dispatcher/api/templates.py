"""``/v1/templates``: a tenant's saved messages, and ``/v1/messages/preview``: what a
message costs and how it reads for a file's first rows, before anything is submitted.
Both are what the page's new-campaign form uses, as any client may."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator

from dispatcher.api.campaigns import PROBLEMS
from dispatcher.api.deps import CallerDep, EngineDep, SettingsDep
from dispatcher.api.schemas import _aware
from dispatcher.domain.message import MAX_TEXT_CHARS, Method, inspect
from dispatcher.domain.status import Purpose
from dispatcher.domain.template import TemplateProblem, parse
from dispatcher.intake.preview import SAMPLE_BYTES, preview
from dispatcher.store import message_templates
from dispatcher.store.reads import Clock

router = APIRouter(prefix="/v1", tags=["templates"])
TemplateId = Annotated[int, Path(ge=1, le=2**62, description="The template's id")]


def checked_message(message: str) -> str:
    """A message that can be sent: placeholders well formed, not empty, not too long as
    written (a placeholder counted as its default or its name)."""
    try:
        template = parse(message)
    except TemplateProblem as exc:
        raise ValueError(str(exc)) from None
    info = inspect(template.sample())
    if not message.strip():
        raise ValueError("the message is empty; write the text to send")
    if info.chars > MAX_TEXT_CHARS:
        raise ValueError(
            f"the message has {info.chars} characters; the provider takes at most {MAX_TEXT_CHARS}"
        )
    return message


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="Yours to recognise it by")
    message: str = Field(description="The text, with {{placeholders}} if any")
    purpose: Purpose = Purpose.TRANSACTIONAL
    method: Method = Method.ONE_WAY

    _check = field_validator("message")(checked_message)

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("give the template a name")
        return name.strip()


class TemplateOut(BaseModel):
    id: int
    name: str
    message: str
    purpose: Purpose
    method: Method
    created_at: datetime
    updated_at: datetime


class TemplateList(BaseModel):
    items: list[TemplateOut]


def template_fields(body: TemplateIn) -> dict[str, Any]:
    return {
        "name": body.name,
        "message": body.message,
        "purpose": body.purpose.value,
        "method": body.method.value,
    }


@router.get("/templates", response_model=TemplateList, responses=PROBLEMS)
async def list_templates(who: CallerDep, engine: EngineDep) -> Any:
    """Your tenant's templates, by name."""
    found = await run_in_threadpool(message_templates.listed, engine, who.tenant_id)
    return {"items": [asdict(t) for t in found]}


@router.post("/templates", status_code=201, response_model=TemplateOut, responses=PROBLEMS)
async def create_template(
    body: TemplateIn, who: CallerDep, engine: EngineDep, response: Response
) -> Any:
    """Save a message under a name (409 when your tenant has one by that name)."""
    saved = await run_in_threadpool(
        message_templates.create, engine, who.tenant_id, template_fields(body)
    )
    response.headers["Location"] = f"/v1/templates/{saved.id}"
    return asdict(saved)


@router.get("/templates/{template_id}", response_model=TemplateOut, responses=PROBLEMS)
async def get_template(template_id: TemplateId, who: CallerDep, engine: EngineDep) -> Any:
    found = await run_in_threadpool(message_templates.one, engine, who.tenant_id, template_id)
    return asdict(found)


@router.put("/templates/{template_id}", response_model=TemplateOut, responses=PROBLEMS)
async def put_template(
    template_id: TemplateId, body: TemplateIn, who: CallerDep, engine: EngineDep
) -> Any:
    """Replace a template's name, message, purpose and method."""
    saved = await run_in_threadpool(
        message_templates.change, engine, who.tenant_id, template_id, template_fields(body)
    )
    return asdict(saved)


@router.delete("/templates/{template_id}", status_code=204, responses=PROBLEMS)
async def delete_template(template_id: TemplateId, who: CallerDep, engine: EngineDep) -> Response:
    await run_in_threadpool(message_templates.remove, engine, who.tenant_id, template_id)
    return Response(status_code=204)


class PreviewIn(BaseModel):
    message: str = Field(max_length=4 * MAX_TEXT_CHARS)
    transliterate: bool = False
    sample: str | None = Field(
        None,
        max_length=SAMPLE_BYTES,
        description="The CSV's first lines (header and a few rows), as the file has them",
    )
    number_column: str | None = Field(None, max_length=200)
    purpose: Purpose = Purpose.TRANSACTIONAL
    start_at: datetime | None = Field(None, description="When it would start (default now)")

    _check_aware = field_validator("start_at")(_aware)


class Measure(BaseModel):
    chars: int
    encoding: str
    segments: int
    ucs2_chars: list[str] = Field(description="The characters that make it UCS-2")


class PreviewOut(BaseModel):
    message: Measure = Field(description="As written, a placeholder as its default or name")
    transliterated: str | None = Field(description="The text converted to GSM-7, when asked")
    sent: Measure = Field(description="What goes: transliterated when asked")
    placeholders: list[str]
    columns: list[str] = Field(description="The file's header: fields for placeholders")
    number_column: str | None = Field(description="The column the numbers are read from")
    rows: list[dict[str, Any]] = Field(description="The first rows as they will go")
    problems: list[str] = Field(description="What to fix before submitting")
    starts: str = Field(description="When it would start, and the permitted window then")


@router.post(
    "/messages/preview",
    response_model=PreviewOut,
    responses=PROBLEMS,
    summary="A message's length, segments and encoding, and a file's first rows rendered",
)
async def preview_message(body: PreviewIn, who: CallerDep, settings: SettingsDep) -> Any:
    """Stores nothing.  ``sample`` is the file's first lines (at most 64 KiB); problems a
    submission would refuse (an unknown placeholder, stray braces) are listed, not raised,
    so a form can show them as the text is typed."""
    clock = Clock.of(settings)
    return asdict(
        preview(
            body.message,
            transliterated=body.transliterate,
            sample=body.sample.encode() if body.sample else None,
            number_column=body.number_column or None,
            region=settings.default_region,
            settings=settings,
            purpose=body.purpose,
            start_at=body.start_at,
            now=clock.at(),
        )
    )
