"""Reading a campaign submission: JSON, a CSV body, or multipart with a CSV file.

Big bodies go to a spool file (on disk past 1 MiB), never whole into memory; the
Idempotency-Key hash covers the campaign's fields and the numbers' bytes."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator
from typing import IO, Any
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from dispatcher import intake
from dispatcher.api.problems import ApiProblem
from dispatcher.api.schemas import CampaignFields
from dispatcher.intake.json_body import JsonCampaign
from dispatcher.intake.sources import CsvNumbers, JsonRecipients
from dispatcher.settings import Settings

CSV_TYPES = ("text/csv", "application/csv", "text/plain")
FILE_FIELDS = ("recipients", "file", "csv")
_SPOOL_IN_MEMORY = 1024 * 1024


def _too_large(limit: int) -> ApiProblem:
    return ApiProblem(
        413,
        f"the body is over {limit:,} bytes (PREGONERO_MAX_UPLOAD_BYTES): split the campaign",
        slug="too-large",
    )


def _check_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)


async def spool(request: Request, limit: int) -> IO[bytes]:
    """The body on disk past 1 MiB: a big upload is never held in memory."""
    _check_length(request, limit)
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            spool.close()
            raise _too_large(limit)
        spool.write(part)
    spool.seek(0)
    return spool


async def _read_back(spool: IO[bytes]) -> AsyncGenerator[bytes, None]:
    while chunk := spool.read(1 << 16):
        yield chunk


def _hash_file(hasher: intake.RequestHasher, handle: IO[bytes]) -> str:
    while block := handle.read(1 << 20):
        hasher.update(block)
    handle.seek(0)
    return hasher.hexdigest()


def _fields(data: dict[str, Any]) -> CampaignFields:
    try:
        return CampaignFields.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> ApiProblem:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "detail": e["msg"]}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
    return ApiProblem(
        422, f"the campaign has invalid fields: {detail}", "invalid-campaign", errors=errors
    )


class Submission:
    def __init__(
        self, spec: intake.CampaignSpec, numbers: Any, digest: str, handle: IO[bytes] | None
    ):
        self.spec, self.numbers, self.digest, self.handle = spec, numbers, digest, handle

    @property
    def ignored_columns(self) -> list[str] | None:
        """The CSV's columns that are not the numbers, once it has been read (None for a
        JSON body: it has no columns)."""
        if isinstance(self.numbers, CsvNumbers):
            return list(self.numbers.ignored_columns)
        return None


async def from_json(request: Request, settings: Settings) -> Submission:
    """The body goes to a spool file as it arrives (counted against MAX_UPLOAD_BYTES), is
    read once for the fields and once, lazily, for the numbers: never whole in memory."""
    handle = await spool(request, settings.max_upload_bytes)
    try:
        body = JsonCampaign(handle, objects=True)
        fields, _count, numbers_digest = body.fields()
        if "recipients" not in fields:
            raise _missing_recipients()
        fields.pop("recipients")
        spec = _fields(fields).to_spec()
    except BaseException:
        handle.close()
        raise
    hasher = intake.RequestHasher(spec, {"kind": "json"})
    hasher.update(numbers_digest.encode())
    recipients = JsonRecipients(body.items(), body.field_names)
    return Submission(spec, recipients, hasher.hexdigest(), handle)


def _missing_recipients() -> ApiProblem:
    return ApiProblem(
        422,
        "the campaign has invalid fields: recipients: Field required",
        "invalid-campaign",
        errors=[{"field": "recipients", "detail": "Field required: the list of numbers"}],
    )


def _query_fields(request: Request) -> dict[str, str]:
    """The campaign's fields in the query string, decoded strictly: invalid UTF-8 is
    refused rather than replaced by U+FFFD and sent to the provider."""
    raw = request.scope.get("query_string", b"").decode("latin-1")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ApiProblem(
            422,
            "the query string is not UTF-8: percent-encode the fields' UTF-8 bytes (é is %C3%A9)",
            "invalid-campaign",
        ) from None
    names = CampaignFields.model_fields
    return {k: v for k, v in pairs if k in names}


def _csv_kind(fields: CampaignFields) -> dict[str, Any]:
    """What, besides the campaign's fields, makes two CSV submissions the same."""
    kind: dict[str, Any] = {"kind": "csv"}
    if fields.number_column is not None:  # without it, the hash stays as it was
        kind["number_column"] = fields.number_column
    return kind


async def from_csv(request: Request, settings: Settings) -> Submission:
    fields = _fields(_query_fields(request))
    spec = fields.to_spec()
    handle = await spool(request, settings.max_upload_bytes)
    digest = _hash_file(intake.RequestHasher(spec, _csv_kind(fields)), handle)
    return Submission(spec, CsvNumbers(handle, fields.number_column), digest, handle)


async def multipart_form(request: Request, limit: int) -> FormData:
    """A multipart body with at most one file.  Spooled first, counted as it streams: a
    body sent chunked (no Content-Length) is held to ``limit`` too; then parsed from the
    spool."""
    spooled = await spool(request, limit)
    try:
        return await MultiPartParser(
            request.headers, _read_back(spooled), max_files=1, max_fields=20
        ).parse()
    except MultiPartException as exc:
        raise ApiProblem(
            400, f"the multipart body cannot be read: {exc.message}", "bad-body"
        ) from None
    finally:
        spooled.close()


async def from_multipart(request: Request, settings: Settings) -> Submission:
    form = await multipart_form(request, settings.max_upload_bytes)
    upload = next((form[f] for f in FILE_FIELDS if isinstance(form.get(f), UploadFile)), None)
    if upload is None or not isinstance(upload, UploadFile):
        raise ApiProblem(
            422,
            "the multipart body needs a file field named 'recipients' with the numbers",
            "invalid-campaign",
        )
    form_fields = {
        k: v for k, v in form.items() if isinstance(v, str) and k not in ("strict", "dry_run")
    }
    fields = _fields(form_fields)
    spec = fields.to_spec()
    digest = _hash_file(intake.RequestHasher(spec, _csv_kind(fields)), upload.file)
    numbers = CsvNumbers(upload.file, fields.number_column)
    return Submission(spec, numbers, digest, upload.file)
