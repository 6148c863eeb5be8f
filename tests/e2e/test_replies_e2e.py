"""Replies end to end: real workers and beat send a two-way campaign, the simulator
delivers the replies to the running API as the provider would, opt-outs are skipped by
the running campaign's later blocks and by the next campaign, and each reply reaches a
receiver that checks the signature, once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.provider.simserver import SimulatorControl
from dispatcher.store.apikeys import create_key, tenant_secret
from tests.builders import Numbers

pytestmark = pytest.mark.e2e
SECRET = "e2e-inbound-S3cret"


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/replies"

    def verified(self, secret: str) -> list[dict[str, object]]:
        """The bodies whose signature checks (as the README tells a receiver to)."""
        good = []
        for headers, body in self.got:
            parts = dict(p.split("=", 1) for p in headers["X-Pregonero-Signature"].split(","))
            assert abs(time.time() - int(parts["t"])) < 300
            mac = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
            if hmac.compare_digest(mac.hexdigest(), parts["v1"]):
                good.append(json.loads(body))
        return good


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_replies_opt_outs_and_forwarding(pg_server_url: str, receiver: Receiver) -> None:
    interval = 3.0
    s = Stack(
        pg_server_url,
        block_interval_s=interval,
        extra_env={"PREGONERO_INBOUND_SECRET": SECRET},
    )
    try:
        s.start_worker("w1")
        s.start_beat()
        api = s.start_api()
        key = create_key(s.engine, "acme")
        auth = {"Authorization": f"Bearer {key}"}
        wait_until(lambda: _up(api), 60, "the API")
        numbers = Numbers()
        people = numbers(4)  # they get the first campaign, then reply
        first = _submit(api, auth, people, receiver.url)
        s.wait_completed(first, timeout_s=60)

        # The next campaign is running: its last block, which has two of them, is later
        # (four blocks after the first: time for the replies on a busy machine).
        rest = numbers(4_000)
        running = _submit(api, auth, rest + people[:2], receiver.url)
        wait_until(lambda: _blocks_done(s, running) >= 1, 60, "the first block")
        sim = SimulatorControl(s.sim.base_url)
        inbound = f"{api}/inbound/{SECRET}"
        said = {people[0]: "SALIR", people[1]: "Salir.", people[2]: "salír por favor"}
        said[people[3]] = "Gracias, ¿a qué hora abren?"
        for number, text in said.items():
            delivered = sim.reply(inbound, text, number)
            assert delivered["delivered"], delivered
        assert sim.reply(inbound, "SALIR", people[0])["delivered"]  # the provider repeats
        assert _blocks_done(s, running) < 5, "the replies came after the last block"
        s.wait_completed(running, timeout_s=60)
        assert s.statuses(running) == {"accepted": 4_000, "suppressed": 2}

        after = _submit(api, auth, people, None)
        assert _detail(api, auth, after)["counts"]["suppressed"] == 3
        s.wait_completed(after, timeout_s=60)
        assert s.statuses(after) == {"accepted": 1, "suppressed": 3}

        replies = httpx.get(f"{api}/v1/campaigns/{first}/replies", headers=auth).json()["items"]
        assert {(r["msisdn"], r["text"], r["opt_out"]) for r in replies} == {
            (n, t, n != people[3]) for n, t in said.items()
        }
        assert _detail(api, auth, first)["replies"] == {"received": 4, "opt_outs": 3}
        today = datetime.now(ZoneInfo("America/Bogota")).date().isoformat()
        listed = httpx.get(
            f"{api}/v1/inbound", params={"from": today, "to": today}, headers=auth
        ).json()["items"]
        assert sorted(r["msisdn"] for r in listed) == sorted(said)

        secret = tenant_secret(s.engine, "acme")
        wait_until(lambda: len(_replies(receiver, secret)) >= 4, 60, "the forwarded replies")
        s.wait_for_chore("callbacks", more=2)  # two looks after: nothing is sent twice
        forwarded = _replies(receiver, secret)
        assert sorted((r["msisdn"], r["text"]) for r in forwarded) == sorted(said.items())
        assert {r["campaign_id"] for r in forwarded} == {first}
        assert len({r["event_id"] for r in forwarded}) == 4
    finally:
        s.stop()


def _replies(receiver: Receiver, secret: str) -> list[dict[str, object]]:
    return [b for b in receiver.verified(secret) if b["event"] == "reply.received"]


def _up(api: str) -> bool:
    try:
        return httpx.get(api + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _submit(api: str, auth: dict[str, str], numbers: list[str], reply_url: str | None) -> int:
    body: dict[str, object] = {
        "name": "e2e replies",
        "message": "¿Nos visitas mañana? Responde SALIR para no recibir más",
        "method": "2via",
        "recipients": numbers,
    }
    if reply_url:
        body["reply_url"] = reply_url
    answer = httpx.post(f"{api}/v1/campaigns", json=body, headers=auth, timeout=30)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _detail(api: str, auth: dict[str, str], campaign_id: int) -> dict[str, object]:
    answer = httpx.get(f"{api}/v1/campaigns/{campaign_id}", headers=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _blocks_done(s: Stack, campaign_id: int) -> int:
    [(n,)] = s.q(
        "SELECT count(*) FROM chunk WHERE campaign_id = :c AND status = 'done'", c=campaign_id
    )
    return int(n)
