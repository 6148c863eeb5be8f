"""HTTP client for the IT Cloud Services SMS API.

Errors say whether the block may have left: ``NeverSent`` (connect failure: safe to
retry) or ``MaybeSent`` (read timeout, dropped connection, HTTP 5xx, unparseable
answer: never re-send on our own).  The token never appears in anything we log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import httpx

from dispatcher.accounts import Account
from dispatcher.domain.answer import BlockAnswer
from dispatcher.domain.codes import describe
from dispatcher.domain.message import Method
from dispatcher.errors import (
    MaybeSent,
    NeverSent,
    ProviderAnswerError,
    ProviderRefused,
    UnparseableAnswer,
)
from dispatcher.provider.answer import parse_balance_answer, parse_send_answer
from dispatcher.redact import redact
from dispatcher.settings import PROVIDER_MAX_NUMBERS, Settings

log = logging.getLogger(__name__)


class _RedactSecrets(logging.Filter):
    """httpx logs every request URL at INFO; with GET that URL carries the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                redact(str(a)) if isinstance(a, str | httpx.URL) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = redact(str(record.msg))
        return True


_filter = _RedactSecrets()
for _name in ("httpx", "httpcore"):
    if _filter not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_filter)


@dataclass(frozen=True)
class ProviderConfig:
    send_url: str
    balance_url: str
    user: str
    token: str
    password: str = ""
    http_method: Literal["POST", "GET"] = "POST"
    method_quote: Literal["none", "single"] = "none"
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0

    def __repr__(self) -> str:  # never show the secrets
        return f"ProviderConfig(send_url={self.send_url!r}, user={self.user!r}, token='***')"

    @classmethod
    def of(cls, account: Account, settings: Settings) -> ProviderConfig:
        """An account's credentials and URLs, with the settings' HTTP choices."""
        return cls(
            send_url=account.send_url,
            balance_url=account.balance_url,
            user=account.user,
            token=account.token,
            password=account.password,
            http_method=settings.provider_http_method,
            method_quote=settings.provider_method_quote,
            connect_timeout_s=settings.provider_connect_timeout_s,
            read_timeout_s=settings.provider_read_timeout_s,
        )


class _NotStarted(Exception):
    """``before_send`` failed: the request's first byte never left."""


class _BeforeHeaders:
    """An httpcore ``trace`` hook that runs a callback once, right before the request
    headers are written (the connection is open by then)."""

    def __init__(self, callback: Callable[[], None]):
        self._callback, self._done = callback, False

    def __call__(self, event: str, _info: dict[str, Any]) -> None:
        if self._done or not event.endswith("send_request_headers.started"):
            return
        self._done = True
        try:
            self._callback()
        except Exception as exc:
            raise _NotStarted(f"{type(exc).__name__}: {redact(str(exc))}") from exc


class ProviderClient:
    """One provider account.  Reuse it: it keeps a connection pool."""

    def __init__(self, config: ProviderConfig, transport: httpx.BaseTransport | None = None):
        self.config = config
        timeout = httpx.Timeout(
            connect=config.connect_timeout_s,
            read=config.read_timeout_s,
            write=config.read_timeout_s,
            pool=config.connect_timeout_s,
        )
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _method_value(self, method: Method) -> str:
        return f"'{method.value}'" if self.config.method_quote == "single" else method.value

    def send_block(
        self,
        numbers: Sequence[str],
        text: str,
        method: Method,
        before_send: Callable[[], None] | None = None,
    ) -> BlockAnswer:
        """Send one block; return the parsed answer (whole-request codes included).

        ``before_send`` runs once the connection is open, right before the request's
        first byte goes out: the pace is kept where the provider measures it, after any
        connection set-up (a new TLS connection can take longer than the margin)."""
        if not numbers:
            raise ValueError("send_block needs at least one number")
        if len(numbers) > PROVIDER_MAX_NUMBERS:
            raise ValueError(f"at most {PROVIDER_MAX_NUMBERS} numbers per block")
        params = {
            "user": self.config.user,
            "token": self.config.token,
            "GSM": ",".join(numbers),
            "SMSText": text,
            "metodo_envio": self._method_value(method),
        }
        body = self._request(
            self.config.send_url, params, self.config.http_method, "send", before_send
        )
        return parse_send_answer(body, numbers)

    def balance(self) -> Decimal:
        """The account's balance.  Raises ``ProviderAnswerError`` on ``-1``."""
        params = {"user": self.config.user}
        if self.config.token:
            params["token"] = self.config.token
        if self.config.password:
            params["password"] = self.config.password
        body = self._request(self.config.balance_url, params, "GET", "balance query")
        value = parse_balance_answer(body)
        if isinstance(value, int):
            raise ProviderAnswerError(value, f"balance query refused: {describe(value)}")
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - parse_balance_answer checked it
            raise UnparseableAnswer(f"cannot read a balance from {value!r}", raw=body) from None

    def _request(
        self,
        url: str,
        params: dict[str, str],
        verb: str,
        what: str,
        before_send: Callable[[], None] | None = None,
    ) -> str:
        where = redact(url)
        extensions = {"trace": _BeforeHeaders(before_send)} if before_send else None
        try:
            if verb == "GET":
                response = self._http.get(url, params=params, extensions=extensions)
            else:
                response = self._http.post(url, data=params, extensions=extensions)
        except _NotStarted as exc:
            raise NeverSent(
                f"{what} to {where} was not sent: {exc}; nothing left, it is safe to retry"
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NeverSent(
                f"{what} to {where} never left: {type(exc).__name__}: {redact(str(exc))}; "
                "nothing was sent, it is safe to retry"
            ) from None
        except httpx.TransportError as exc:
            raise MaybeSent(
                f"{what} to {where} may have been sent: {type(exc).__name__}: "
                f"{redact(str(exc)) or 'no detail'}; do not retry without checking"
            ) from None
        if response.status_code >= 500:
            raise MaybeSent(
                f"{what} to {where} answered HTTP {response.status_code}; it may have been "
                "processed, do not retry without checking",
                raw=response.text[:2000],
                http_status=response.status_code,
            )
        if response.status_code >= 400:
            raise ProviderRefused(
                f"{what} to {where} answered HTTP {response.status_code}: check the URL and "
                "PREGONERO_PROVIDER_HTTP_METHOD",
                raw=response.text[:2000],
                http_status=response.status_code,
            )
        return response.text


def client_for(account: Account, settings: Settings) -> ProviderClient:
    return ProviderClient(ProviderConfig.of(account, settings))
