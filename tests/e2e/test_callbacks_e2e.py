"""Callback drills with real workers and beat: receivers that never answer must not
delay anyone's sending; a slow receiver gets each event once."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise

import pytest

from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.engine import steer
from dispatcher.store.apikeys import create_key
from dispatcher.store.reads import tenant_id
from tests.builders import Numbers

pytestmark = pytest.mark.e2e


@pytest.fixture
def silent() -> Iterator[str]:
    """A receiver that takes connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(100)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/never"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


def test_receivers_that_never_answer_do_not_delay_another_tenants_sending(
    pg_server_url: str, silent: str
) -> None:
    interval = 2.0
    s = Stack(pg_server_url, block_interval_s=interval)
    try:
        s.start_worker("w1")  # the prefork pool, two processes: callbacks must not fill them
        s.start_worker("w2")
        s.start_beat()
        numbers = Numbers()
        s.wait_completed(s.submit(numbers(1)), timeout_s=60)  # the limiter is warm, as in use
        # Finished at once: their callbacks are due.  They start in an hour, so none of
        # their blocks is in the broker when they are cancelled: a send already past its
        # gate would still take the account's next slot, which is not what this measures.
        later = datetime.now(UTC) + timedelta(hours=1)
        for _ in range(20):
            hooked = s.submit(numbers(1), callback_url=silent, start_at=later)
            steer.cancel_campaign(s.engine, hooked, None)  # as the API does it
        wait_until(  # deliveries are being tried (and hang) right now
            lambda: bool(s.q("SELECT 1 FROM callback_delivery WHERE attempts > 0")), 60, "callbacks"
        )
        create_key(s.engine, "other")
        since = len(s.sim.sim.records)
        submitted = time.time()
        other = s.submit(numbers(3_000), tenant_id=tenant_id(s.engine, "other"))
        s.wait_completed(other, timeout_s=60)
        starts = sorted(r.started_at for r in s.sim.sim.records[since:])
        first_after_s = starts[0] - submitted
        gaps = [b - a for a, b in pairwise(starts)]
        times = s.q(
            "SELECT extract(epoch from published_at), extract(epoch from claimed_at) FROM chunk "
            "WHERE campaign_id = :c ORDER BY seq LIMIT 1",
            c=other,
        )[0]
        print(
            f"first block {first_after_s:.2f} s after submit (published "
            f"{float(times[0]) - submitted:.2f}, claimed {float(times[1]) - submitted:.2f}); "
            f"gaps {gaps}"
        )
        assert first_after_s <= interval, first_after_s
        assert min(gaps) >= interval and statistics.mean(gaps) <= interval + 0.1
        assert s.q("SELECT count(*) FROM callback_delivery WHERE state = 'delivered'") == [(0,)]
    finally:
        s.stop()


def test_a_slow_receiver_gets_each_event_once(pg_server_url: str) -> None:
    got: list[str] = []

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(2)  # five of these outlast one delivery run (RUN_BUDGET_S)
            got.append(self.headers["X-Pregonero-Event"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slow"
    s = Stack(pg_server_url, block_interval_s=0.2)
    try:
        s.start_worker("w1")
        s.start_worker("w2")
        s.start_beat()
        numbers = Numbers()
        ids = [s.submit(numbers(1), callback_url=url) for _ in range(5)]
        wait_until(
            lambda: (
                s.q("SELECT count(*) FROM callback_delivery WHERE state = 'delivered'") == [(5,)]
            ),
            120,
            "five deliveries",
        )
        assert len(got) == 5 and max(Counter(got).values()) == 1  # each event once
        assert s.q("SELECT count(DISTINCT campaign_id) FROM callback_delivery") == [(len(ids),)]
    finally:
        s.stop()
        server.shutdown()
