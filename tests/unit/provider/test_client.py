"""The provider client over an httpx MockTransport: what goes on the wire, and what
each kind of failure means."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

import httpx
import pytest

from dispatcher.domain.codes import Outcome
from dispatcher.domain.message import Method
from dispatcher.errors import (
    MaybeSent,
    NeverSent,
    ProviderAnswerError,
    ProviderRefused,
    UnparseableAnswer,
)
from dispatcher.provider.client import ProviderClient, ProviderConfig, redact

SECRET = "tok-very-secret"


def make(
    handler: httpx.MockTransport | None = None, **kw: object
) -> tuple[ProviderClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        numbers = _params(request).get("GSM", [""])[0].split(",")
        return httpx.Response(
            200, text="".join(f"{n},{1000 + i}<br>" for i, n in enumerate(numbers))
        )

    config = ProviderConfig(
        send_url="https://provider.test/sendsms",
        balance_url="https://provider.test/query.php",
        user="acme",
        token=SECRET,
        password="pw-secret",
        **kw,  # type: ignore[arg-type]
    )
    return ProviderClient(config, transport=handler or httpx.MockTransport(respond)), seen


def _params(request: httpx.Request) -> dict[str, list[str]]:
    params = parse_qs(request.url.query.decode(), keep_blank_values=True)
    if request.content:
        params.update(parse_qs(request.content.decode(), keep_blank_values=True))
    return params


def test_post_form_body_by_default() -> None:
    client, seen = make()
    numbers = [f"5730011{i:05d}" for i in range(1000)]
    answer = client.send_block(numbers, "hola ñandú", Method.TWO_WAY)
    request = seen[0]
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert SECRET not in str(request.url)  # the token travels in the body, not the URL
    params = _params(request)
    assert params["user"] == ["acme"] and params["token"] == [SECRET]
    assert params["GSM"] == [",".join(numbers)]
    assert params["SMSText"] == ["hola ñandú"]
    assert params["metodo_envio"] == ["2via"]
    assert len(answer.results) == 1000
    assert all(r.outcome is Outcome.ACCEPTED for r in answer.results)


def test_get_by_setting_and_single_quote_method() -> None:
    client, seen = make(http_method="GET", method_quote="single")
    client.send_block(["573001112233"], "hola", Method.FLASH)
    assert seen[0].method == "GET"
    assert _params(seen[0])["metodo_envio"] == ["'flash'"]


def test_send_block_refuses_bad_input() -> None:
    client, _ = make()
    with pytest.raises(ValueError, match="at least one"):
        client.send_block([], "x", Method.ONE_WAY)
    with pytest.raises(ValueError, match="5000"):
        client.send_block(["573001112233"] * 5001, "x", Method.ONE_WAY)


def _raising(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow dns"), httpx.PoolTimeout("pool")],
)
def test_never_left_is_safe_to_retry(exc: Exception) -> None:
    client, _ = make(_raising(exc))
    with pytest.raises(NeverSent) as info:
        client.send_block(["573001112233"], "hola", Method.ONE_WAY)
    assert info.value.maybe_sent is False
    assert "safe to retry" in str(info.value)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("read"),
        httpx.WriteTimeout("write"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    ],
)
def test_maybe_sent_errors(exc: Exception) -> None:
    client, _ = make(_raising(exc))
    with pytest.raises(MaybeSent) as info:
        client.send_block(["573001112233"], "hola", Method.ONE_WAY)
    assert info.value.maybe_sent is True


def test_http_5xx_is_maybe_sent_and_4xx_is_refused() -> None:
    client, _ = make(httpx.MockTransport(lambda r: httpx.Response(502, text="bad gateway")))
    with pytest.raises(MaybeSent) as info:
        client.send_block(["573001112233"], "hola", Method.ONE_WAY)
    assert info.value.http_status == 502
    client, _ = make(httpx.MockTransport(lambda r: httpx.Response(404, text="nope")))
    with pytest.raises(ProviderRefused) as refused:
        client.send_block(["573001112233"], "hola", Method.ONE_WAY)
    assert refused.value.maybe_sent is False


def test_unparseable_answer_is_maybe_sent() -> None:
    client, _ = make(httpx.MockTransport(lambda r: httpx.Response(200, text="<html>oops</html>")))
    with pytest.raises(UnparseableAnswer) as info:
        client.send_block(["573001112233", "573001112234"], "hola", Method.ONE_WAY)
    assert info.value.maybe_sent


def test_whole_request_error_is_returned_not_raised() -> None:
    client, _ = make(httpx.MockTransport(lambda r: httpx.Response(200, text="-3")))
    answer = client.send_block(["573001112233", "573001112234"], "hola", Method.ONE_WAY)
    assert answer.request_code == -3


def test_balance_sends_token_and_password_and_reads_decimal() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=" 1234.50 ")

    client, _ = make(httpx.MockTransport(handler))
    assert str(client.balance()) == "1234.50"
    params = _params(seen[0])
    assert (
        params["user"] == ["acme"]
        and params["token"] == [SECRET]
        and params["password"] == ["pw-secret"]
    )


def test_balance_auth_failure() -> None:
    client, _ = make(httpx.MockTransport(lambda r: httpx.Response(200, text="-1")))
    with pytest.raises(ProviderAnswerError) as info:
        client.balance()
    assert info.value.code == -1
    assert "authentication failed" in str(info.value)


def test_secrets_never_reach_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client, _ = make(http_method="GET")
    client.send_block(["573001112233"], "hola", Method.ONE_WAY)
    err_client, _ = make(
        _raising(httpx.ConnectError(f"failed for token={SECRET}")), http_method="GET"
    )
    with pytest.raises(NeverSent) as info:
        err_client.send_block(["573001112233"], "hola", Method.ONE_WAY)
    assert SECRET not in str(info.value)
    assert SECRET not in caplog.text
    assert "token=***" in caplog.text  # httpx did log the GET, redacted
    assert SECRET not in repr(client.config)


def test_redact() -> None:
    assert redact("https://x/y?user=a&token=abc&password=p&GSM=1") == (
        "https://x/y?user=a&token=***&password=***&GSM=1"
    )
