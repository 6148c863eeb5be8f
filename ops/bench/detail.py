"""One campaign's detail while it sends: ``GET /v1/campaigns/{id}`` on a 1,000,000-number
campaign, mid-send, through a real API process.

Prints the median and 95th percentile of the server's time (the API's Server-Timing
header: first byte in to the answer's headers), the median as the client sees it
(keep-alive, loopback: the server's time plus HTTP on both sides), and checks that the
counts it shows equal a recount of the recipients.

    .venv/bin/python ops/bench/detail.py [--numbers 1000000] [--requests 300]

Target on this 2-core machine: median at most 5 ms (about 100 ms when it counted
recipients with a GROUP BY on every call).
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
from procs import answers  # ops/bench/, the script's own folder

from dispatcher.dev import services as devservices
from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.domain.status import Role
from dispatcher.store import reads
from dispatcher.store.apikeys import create_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    server, origin = devservices.postgres_server_url()
    stack = Stack(server, block_interval_s=2.0)  # the real pace: a campaign mid-send
    try:
        api = stack.start_api()
        key = create_key(stack.engine, "bench", role=Role.OPERATOR)  # sees every tenant
        numbers = [f"57310{i:07d}" for i in range(1, args.numbers + 1)]
        cid = stack.submit(numbers, name="detail")
        stack.start_worker("bench", concurrency=1, loglevel="WARNING")
        stack.start_beat()
        wait_until(lambda: answers(api + "/healthz"), 60, "the API")
        wait_until(lambda: _accepted(stack, cid) >= 3_000, 120, "sending under way", 0.2)
        times, server = [], []  # the client's view; the API's own (Server-Timing)
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as http:
            for _ in range(args.requests):
                started = time.perf_counter()
                answer = http.get(f"/v1/campaigns/{cid}")
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
                server.append(float(answer.headers["server-timing"].split("dur=")[1]))
            shown = http.get(f"/v1/campaigns/{cid}").json()
        # The same read without HTTP, auth and serialisation: what the database part costs.
        direct = []
        clock = reads.Clock.of(stack.settings)
        for _ in range(args.requests):
            started = time.perf_counter()
            reads.campaign_detail(stack.engine, None, cid, clock)
            direct.append((time.perf_counter() - started) * 1000)
        for name in list(stack.workers):  # stop sending: the recount must see what it saw
            stack.kill_worker(name)
        time.sleep(1)
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as http:
            shown = http.get(f"/v1/campaigns/{cid}").json()
        recount = dict(
            stack.q(
                "SELECT status, count(*) FROM recipient WHERE campaign_id = :c GROUP BY 1", c=cid
            )
        )
    finally:
        stack.stop()
    median, p95 = statistics.median(server), statistics.quantiles(server, n=20)[18]
    print(f"postgres: {origin}; campaign of {args.numbers:,} numbers, mid-send")
    print(
        f"GET /v1/campaigns/{{id}}, server time (Server-Timing): median {median:.2f} ms, "
        f"p95 {p95:.2f} ms ({args.requests} requests)"
    )
    print(f"as the client sees it (keep-alive, loopback): median {statistics.median(times):.2f} ms")
    print(
        f"the read alone (store.reads.campaign_detail, in this process): "
        f"median {statistics.median(direct):.2f} ms"
    )
    by_status = {k: v for k, v in shown["counts"]["by_status"].items() if v}
    print(f"counts shown {by_status}; recount {recount}; equal: {by_status == recount}")
    print(f"target (median <= 5 ms): {'met' if median <= 5 else 'NOT met'}")


def _accepted(stack: Stack, cid: int) -> int:
    return int(stack.q("SELECT n_accepted FROM campaign WHERE id = :c", c=cid)[0][0])


if __name__ == "__main__":
    main()
