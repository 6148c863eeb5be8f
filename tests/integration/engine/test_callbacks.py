"""The backend system is told once when its campaign ends."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from dispatcher.engine import callbacks
from tests.integration.engine.harness import EngineHarness

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    got: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/done", got
    server.shutdown()


def test_callback_when_the_campaign_ends(
    h: EngineHarness, receiver: tuple[str, list[bytes]]
) -> None:
    url, got = receiver
    cid = h.submit(h.numbers(3), callback_url=url)
    with httpx.Client() as client:
        assert callbacks.deliver_due(h.engine, client) == 0  # not finished yet
        h.run()
        assert callbacks.deliver_due(h.engine, client) == 1
        assert callbacks.deliver_due(h.engine, client) == 0  # once
    body = json.loads(got[0])
    assert body["id"] == cid and body["status"] == "completed"
    assert body["recipients"] == {"accepted": 3}
