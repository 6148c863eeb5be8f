"""One gate for control characters: a NUL or another control character in a path, a
query string, a form or a JSON body is refused with a 422 before any route runs, so no
route (or Postgres, which refuses NUL in text) meets one.

Tab, line feed and carriage return are allowed in query values and bodies (a message may
have lines), never in a path.  Bodies are read here only when they are small forms or
JSON (at most ``SCAN_BODY_MAX``); a campaign upload streams past untouched, and intake
checks its fields itself.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatcher.api.problems import problem

SCAN_BODY_MAX = 1024 * 1024
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PATH_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
# JSON escapes of the same: \u0000-\u0008, \u000b, \u000c, \u000e-\u001f, \u007f
_JSON_CONTROL = re.compile(rb"\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
_SCANNED = (b"application/json", b"application/x-www-form-urlencoded")
# The provider's replies: a person's text, read by domain/replies, which has its own
# rules (a reply is never lost over a character).
_OWN_RULES = ("/inbound/",)


def _where(scope: Scope) -> str | None:
    path = scope.get("raw_path") or scope["path"].encode()
    if _PATH_CONTROL.search(unquote_to_bytes(path)):
        return "the path"
    if scope["path"].startswith(_OWN_RULES):
        return None
    query = scope.get("query_string", b"")
    if query and _CONTROL.search(unquote_to_bytes(query.replace(b"+", b" "))):
        return "the query string"
    return None


class RefuseControlCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (where := _where(scope)) is not None:
            await _refuse(where, scope, receive, send)
            return
        if scope["path"].startswith(_OWN_RULES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        length = headers.get(b"content-length", b"")
        if kind not in _SCANNED or (length.isdigit() and int(length) > SCAN_BODY_MAX):
            await self.app(scope, receive, send)
            return
        # Read (a body sent without a length too) up to SCAN_BODY_MAX; past it, the body
        # goes on unscanned: a campaign upload, which intake checks itself.
        messages, body, whole = [], b"", False
        while len(body) <= SCAN_BODY_MAX:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                whole = True
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        if not whole:
            await self.app(scope, replay, send)
            return
        if kind == b"application/json":
            bad = _CONTROL.search(body) or _JSON_CONTROL.search(body)
        else:
            bad = _CONTROL.search(unquote_to_bytes(body.replace(b"+", b" ")))
        if bad:
            await _refuse("the body", scope, receive, send)
            return
        await self.app(scope, replay, send)


async def _refuse(where: str, scope: Scope, receive: Receive, send: Send) -> None:
    answer = problem(
        422,
        f"{where} has a NUL or another control character: remove it (tab and line breaks "
        "are fine in values)",
        slug="control-character",
    )
    await answer(scope, receive, send)
