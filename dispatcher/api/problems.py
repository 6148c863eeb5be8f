"""RFC 9457 problem details: every error says what happened and what to fix."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatcher.domain.fields import BadField
from dispatcher.errors import (
    ConfigError,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    PregoneroError,
    ValidationFailed,
)
from dispatcher.redact import redact

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
RETRY_AFTER_S = 5

TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"/problems/{slug or TITLES.get(status, 'error').lower().replace(' ', '-')}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class ApiProblem(Exception):
    """Raise from a route to answer with a problem."""

    def __init__(self, status: int, detail: str, slug: str | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.detail, self.slug, self.extra = status, detail, slug, extra
        self.headers: dict[str, str] | None = None


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _unavailable(exc: Exception) -> JSONResponse:
    """The database dropped the connection or is out of reach: nothing was stored (the
    transaction rolled back); the client may send the same request again."""
    log.error(
        "database out of reach: %s", redact(str(exc).strip().splitlines()[0] if str(exc) else "")
    )
    return problem(
        503,
        "the database is out of reach for a moment and nothing was stored: send the same "
        "request again (with the same Idempotency-Key) in a few seconds",
        slug="unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.detail, slug=exc.slug, headers=exc.headers, **exc.extra)

    @app.exception_handler(ValidationFailed)
    async def _invalid(request: Request, exc: ValidationFailed) -> JSONResponse:
        what = "campaign" if request.url.path.startswith("/v1/campaigns") else "input"
        slug = "too-large" if exc.status == 413 else f"invalid-{what}"
        return problem(exc.status, str(exc), slug=slug, errors=exc.problems, **exc.extra)

    @app.exception_handler(BadField)
    async def _bad_field(_: Request, exc: BadField) -> JSONResponse:
        errors = [{"field": exc.field, "detail": exc.message}]
        return problem(422, str(exc), slug="invalid-input", errors=errors)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, str(exc), slug="forbidden")

    @app.exception_handler(Gone)
    async def _gone(_: Request, exc: Gone) -> JSONResponse:
        return problem(410, str(exc), slug="gone")

    @app.exception_handler(ConfigError)
    async def _config(_: Request, exc: ConfigError) -> JSONResponse:
        log.error("configuration: %s", exc)
        return problem(503, str(exc), slug="misconfigured")

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return problem(409, str(exc))

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
            return _unavailable(exc)
        log.exception("database error")
        return problem(500, "the server could not finish the request; see its log", slug="internal")

    @app.exception_handler(psycopg.OperationalError)
    async def _driver(_: Request, exc: psycopg.OperationalError) -> JSONResponse:
        return _unavailable(exc)

    @app.exception_handler(PregoneroError)
    async def _ours(_: Request, exc: PregoneroError) -> JSONResponse:
        log.error("unhandled Pregonero error: %s", exc)
        return problem(500, "the server could not finish the request; see its log", slug="internal")

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _location(e.get("loc", ())), "detail": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return problem(
            422,
            "the request has invalid fields: "
            + "; ".join(f"{e['field']}: {e['detail']}" for e in errors),
            slug="invalid-request",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(500, "the server could not finish the request; see its log", slug="internal")
