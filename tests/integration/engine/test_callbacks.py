"""Backend systems are told once, with a signature they can check, when their campaign
ends; never at an address inside our network."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from dispatcher.engine import callbacks
from dispatcher.store import reads
from dispatcher.store.apikeys import tenant_secret
from tests.integration.engine.harness import EngineHarness

pytestmark = pytest.mark.integration


@dataclass
class Receiver:
    url: str
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204
    delay_s: float = 0.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(state.delay_s)
            state.got.append((dict(self.headers), body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/done"
    yield state
    server.shutdown()


@pytest.fixture
def private_ok(h: EngineHarness) -> EngineHarness:
    """Callbacks to loopback are allowed here (the receiver runs on this host)."""
    h.use_settings(callback_allow_private=True)
    return h


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance_s: int = 300) -> bool:
    """What a receiver does (the README shows it)."""
    parts = dict(p.split("=", 1) for p in headers["X-Pregonero-Signature"].split(","))
    if abs(time.time() - int(parts["t"])) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def test_a_signed_callback_once_when_the_campaign_ends(
    private_ok: EngineHarness, receiver: Receiver
) -> None:
    h = private_ok
    cid = h.submit(h.numbers(3), callback_url=receiver.url)
    assert callbacks.deliver_due(h.engine, h.settings) == 0  # not finished yet
    h.run()
    assert callbacks.deliver_due(h.engine, h.settings) == 1
    assert callbacks.deliver_due(h.engine, h.settings) == 0  # once
    [(headers, body)] = receiver.got
    payload = json.loads(body)
    assert payload["id"] == cid and payload["status"] == "completed"
    assert payload["recipients"] == {"accepted": 3} and payload["event"] == "campaign.finished"
    assert headers["X-Pregonero-Event"] == payload["event_id"]
    with h.engine.connect() as conn:
        name = conn.exec_driver_sql(
            "SELECT name FROM tenant WHERE id = %s", (h.tenant_id,)
        ).scalar()
    assert verify(tenant_secret(h.engine, str(name)), headers, body)
    assert not verify("another secret", headers, body)
    state = h.q("SELECT state, attempts FROM callback_delivery WHERE campaign_id = :c", c=cid)
    assert state == [("delivered", 1)]


def test_concurrent_deliverers_deliver_each_event_once(
    private_ok: EngineHarness, receiver: Receiver
) -> None:
    h = private_ok
    receiver.delay_s = 1.0  # slow: both runs overlap
    ids = [h.submit(h.numbers(1), callback_url=receiver.url) for _ in range(5)]
    h.run()
    runs = [
        threading.Thread(target=callbacks.deliver_due, args=(h.engine, h.settings))
        for _ in range(3)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    events = [headers["X-Pregonero-Event"] for headers, _body in receiver.got]
    assert len(events) == len(set(events)) == 5
    assert {json.loads(body)["id"] for _h, body in receiver.got} == set(ids)


def test_a_failing_receiver_is_retried_with_backoff(
    private_ok: EngineHarness, receiver: Receiver
) -> None:
    h = private_ok
    receiver.status = 500
    cid = h.submit(h.numbers(1), callback_url=receiver.url)
    h.run()
    assert callbacks.deliver_due(h.engine, h.settings) == 0
    assert callbacks.deliver_due(h.engine, h.settings) == 0  # not due yet
    [(state, attempts, error, due_in)] = h.q(
        "SELECT state, attempts, last_error, extract(epoch from next_at - now()) "
        "FROM callback_delivery WHERE campaign_id = :c",
        c=cid,
    )
    assert (state, attempts, error) == ("pending", 1, "answered HTTP 500")
    assert 20 < float(due_in) <= 30
    shown = reads.campaign_detail(h.engine, h.tenant_id, cid, reads.Clock.of(h.settings))
    assert shown.callback is not None
    assert shown.callback.state == "pending" and shown.callback.attempts == 1
    assert shown.callback.last_error == "answered HTTP 500"
    assert [callbacks.retry_in_s(n) for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]


def test_an_address_inside_our_network_is_not_called(h: EngineHarness, receiver: Receiver) -> None:
    """Stored while private addresses were allowed; refused when they no longer are."""
    h.use_settings(callback_allow_private=True)
    cid = h.submit(h.numbers(1), callback_url=receiver.url)
    h.run()
    h.use_settings(callback_allow_private=False)
    assert callbacks.deliver_due(h.engine, h.settings) == 0
    assert receiver.got == []
    [(error,)] = h.q("SELECT last_error FROM callback_delivery WHERE campaign_id = :c", c=cid)
    assert "must be https" in error


def test_after_a_day_of_failures_the_delivery_is_given_up(
    private_ok: EngineHarness, receiver: Receiver
) -> None:
    h = private_ok
    receiver.status = 503
    cid = h.submit(h.numbers(1), callback_url=receiver.url)
    h.run()
    callbacks.deliver_due(h.engine, h.settings)
    with h.engine.begin() as conn:  # a day of retries has passed
        conn.exec_driver_sql(
            "UPDATE callback_delivery SET created_at = now() - interval '25 hours', "
            "next_at = now() WHERE campaign_id = %s",
            (cid,),
        )
    callbacks.deliver_due(h.engine, h.settings)
    callbacks.deliver_due(h.engine, h.settings)  # nothing more is tried
    assert len(receiver.got) == 2
    assert h.q("SELECT state, attempts FROM callback_delivery WHERE campaign_id = :c", c=cid) == [
        ("failed", 2)
    ]


class _Raw(BaseHTTPRequestHandler):
    """A receiver that misbehaves: ``mode`` 'flood' answers 500 with an endless body,
    'trickle' sends a header line every 0.3 s and never ends its headers."""

    mode: ClassVar[str] = "flood"
    sent: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        try:
            if self.mode == "flood":
                self.send_response(500)
                self.end_headers()
                chunk, total = b"x" * 65536, 0
                while total < 200 * 1024 * 1024:
                    self.wfile.write(chunk)
                    total += len(chunk)
                    self.sent.append(total)
            else:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for i in range(100):
                    self.wfile.write(f"X-Slow-{i}: a\r\n".encode())
                    self.wfile.flush()
                    time.sleep(0.3)
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def raw_receiver() -> Iterator[tuple[str, type[_Raw]]]:
    handler = type("Handler", (_Raw,), {"sent": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cb", handler
    server.shutdown()


def test_a_huge_answer_is_read_no_further_than_the_cap(
    private_ok: EngineHarness, raw_receiver: tuple[str, type[_Raw]]
) -> None:
    h, (url, handler) = private_ok, raw_receiver
    cid = h.submit(h.numbers(1), callback_url=url)
    h.run()
    started = time.monotonic()
    assert callbacks.deliver_due(h.engine, h.settings) == 0
    assert time.monotonic() - started < 5
    [(error,)] = h.q("SELECT last_error FROM callback_delivery WHERE campaign_id = :c", c=cid)
    assert error == "answered HTTP 500"
    time.sleep(0.5)
    # what the receiver managed to write before the connection closed: socket buffers,
    # not the 200 MB it meant to send
    assert max(handler.sent, default=0) < 20 * 1024 * 1024


def test_a_receiver_that_trickles_is_cut_off_at_the_deadline(
    private_ok: EngineHarness,
    raw_receiver: tuple[str, type[_Raw]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, (url, handler) = private_ok, raw_receiver
    handler.mode = "trickle"
    monkeypatch.setattr(callbacks, "DEADLINE_S", 1.5)
    cid = h.submit(h.numbers(1), callback_url=url)
    h.run()
    started = time.monotonic()
    assert callbacks.deliver_due(h.engine, h.settings) == 0
    assert time.monotonic() - started < 4  # each header line came within the read timeout
    [(error,)] = h.q("SELECT last_error FROM callback_delivery WHERE campaign_id = :c", c=cid)
    assert error == "no whole answer within 1.5 s"


def test_one_slow_receiver_delays_only_its_own_tenant(
    private_ok: EngineHarness, receiver: Receiver
) -> None:
    from tests.builders import a_campaign, a_tenant

    h = private_ok
    receiver.delay_s = 2.0
    slow = [h.submit(h.numbers(1), callback_url=receiver.url) for _ in range(3)]
    fast: list[float] = []

    class Fast(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            fast.append(time.monotonic())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Fast)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    other = a_tenant(h.engine)
    url = f"http://127.0.0.1:{server.server_address[1]}/fast"
    a_campaign(h.engine, h.settings, other.id, h.numbers(1), callback_url=url)
    h.run()
    try:
        started = time.monotonic()
        callbacks.deliver_due(h.engine, h.settings)
        assert len(fast) == 1 and fast[0] - started < 1.5  # not behind the slow ones
        assert len(slow) == 3
    finally:
        server.shutdown()
