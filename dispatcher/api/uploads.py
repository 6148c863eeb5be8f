"""Reading a campaign submission: JSON, a CSV body, or multipart with a CSV file.

Big bodies go to a spool file (on disk past 1 MiB), never whole into memory; the
Idempotency-Key hash covers the campaign's fields and the numbers' bytes."""

from __future__ import annotations

import json
import tempfile
from typing import IO, Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from dispatcher import intake
from dispatcher.api.problems import ApiProblem
from dispatcher.api.schemas import CampaignFields, CampaignIn
from dispatcher.intake.sources import CsvNumbers, json_numbers
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


async def _read_limited(request: Request, limit: int) -> bytes:
    _check_length(request, limit)
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise _too_large(limit)
        parts.append(part)
    return b"".join(parts)


async def _spool(request: Request, limit: int) -> IO[bytes]:
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
    body = await _read_limited(request, settings.max_upload_bytes)
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise ApiProblem(
            400, "the body is not UTF-8: send JSON encoded as UTF-8", "bad-json"
        ) from None
    except json.JSONDecodeError as exc:
        raise ApiProblem(
            400,
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "bad-json",
        ) from None
    try:
        model = CampaignIn.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None
    spec = model.to_spec()
    hasher = intake.RequestHasher(spec, {"kind": "json"})
    hasher.update(json.dumps(model.recipients).encode())
    return Submission(spec, json_numbers(model.recipients), hasher.hexdigest(), None)


async def from_csv(request: Request, settings: Settings) -> Submission:
    names = CampaignFields.model_fields
    spec = _fields({k: v for k, v in request.query_params.items() if k in names}).to_spec()
    handle = await _spool(request, settings.max_upload_bytes)
    digest = _hash_file(intake.RequestHasher(spec, {"kind": "csv"}), handle)
    return Submission(spec, CsvNumbers(handle), digest, handle)


async def from_multipart(request: Request, settings: Settings) -> Submission:
    _check_length(request, settings.max_upload_bytes)
    form = await request.form(max_files=1, max_fields=20)
    upload = next((form[f] for f in FILE_FIELDS if isinstance(form.get(f), UploadFile)), None)
    if upload is None or not isinstance(upload, UploadFile):
        raise ApiProblem(
            422,
            "the multipart body needs a file field named 'recipients' with the numbers",
            "invalid-campaign",
        )
    fields = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("strict",)}
    spec = _fields(fields).to_spec()
    digest = _hash_file(intake.RequestHasher(spec, {"kind": "csv"}), upload.file)
    return Submission(spec, CsvNumbers(upload.file), digest, upload.file)
