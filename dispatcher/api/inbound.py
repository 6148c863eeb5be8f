"""``/inbound/{secret}``: where the provider delivers replies to two-way messages
(``?mensaje=...&celular=...``, section 3 of its document).

The URL given to the provider carries ``INBOUND_SECRET``; anything else is 404 and
stores nothing.  ``/inbound/{secret}/{account}`` names the account, for customers who
register a URL per account.  The reply is stored, attributed, and (an opt-out) put on
the suppression list in one short transaction before the 200; forwarding it to the
tenant happens later, on the callbacks queue."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import Engine

from dispatcher.accounts import configured_accounts
from dispatcher.api.deps import EngineDep, SettingsDep
from dispatcher.api.problems import ApiProblem
from dispatcher.domain.replies import OptOutWords, Reply, fields, parse
from dispatcher.settings import ACCOUNT_NAME, Settings
from dispatcher.store import replies

router = APIRouter(tags=["replies"])
MAX_BODY = 16 * 1024  # a reply is a few hundred bytes
MAX_QUERY = 16 * 1024
Secret = Annotated[str, Path(max_length=200, description="INBOUND_SECRET")]
AccountName = Annotated[str, Path(pattern=ACCOUNT_NAME, description="A provider account")]


class InboundStored(BaseModel):
    stored: bool
    duplicate: bool
    id: int | None
    campaign_id: int | None
    opt_out: bool


def _check_secret(secret: str, settings: Settings) -> None:
    expected = settings.inbound_secret
    given = secret.encode("utf-8", "surrogateescape")
    if expected is None or not hmac.compare_digest(
        given, expected.get_secret_value().encode("utf-8")
    ):
        raise ApiProblem(404, "not found", slug="not-found")


async def _body(request: Request) -> bytes:
    if request.method != "POST":
        return b""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("", "application/x-www-form-urlencoded"):
        raise ApiProblem(
            415,
            "send mensaje and celular in the query string or as an "
            "application/x-www-form-urlencoded body",
            slug="unsupported-media-type",
        )
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > MAX_BODY:
            raise ApiProblem(413, f"a reply's body is at most {MAX_BODY:,} bytes", "too-large")
    return bytes(body)


async def _receive(
    request: Request, secret: str, account: str | None, engine: Engine, settings: Settings
) -> dict[str, Any]:
    _check_secret(secret, settings)
    names = [a.name for a in configured_accounts(settings)]
    if account is not None and account not in names:
        raise ApiProblem(404, f"there is no provider account {account!r}", slug="not-found")
    query: bytes = request.scope.get("query_string", b"")
    if len(query) > MAX_QUERY:
        raise ApiProblem(413, f"a reply's query string is at most {MAX_QUERY:,} bytes", "too-large")
    reply = parse(fields(query, await _body(request)), settings.default_region)  # or 422
    opt_out = OptOutWords(settings.opt_out_word_list)(reply.text)
    stored = await run_in_threadpool(_store, engine, reply, account, opt_out, settings, names)
    return {
        "stored": stored.id is not None,
        "duplicate": stored.id is None,
        "id": stored.id,
        "campaign_id": stored.campaign_id,
        "opt_out": opt_out,
    }


def _store(
    engine: Engine,
    reply: Reply,
    account: str | None,
    opt_out: bool,
    settings: Settings,
    names: list[str],
) -> replies.Stored:
    with engine.begin() as conn:
        return replies.record(
            conn,
            reply,
            account=account,
            opt_out=opt_out,
            attribution_days=settings.reply_attribution_days,
            all_accounts=names,
        )


@router.get("/inbound/{secret}", operation_id="inbound_get", response_model=InboundStored)
@router.post("/inbound/{secret}", operation_id="inbound_post", response_model=InboundStored)
async def inbound(
    request: Request, secret: Secret, engine: EngineDep, settings: SettingsDep
) -> Any:
    """Give the provider `https://<host>/inbound/<INBOUND_SECRET>` as the reply URL."""
    return await _receive(request, secret, None, engine, settings)


@router.get(
    "/inbound/{secret}/{account}", operation_id="inbound_account_get", response_model=InboundStored
)
@router.post(
    "/inbound/{secret}/{account}", operation_id="inbound_account_post", response_model=InboundStored
)
async def inbound_for_account(
    request: Request, secret: Secret, account: AccountName, engine: EngineDep, settings: SettingsDep
) -> Any:
    return await _receive(request, secret, account, engine, settings)
