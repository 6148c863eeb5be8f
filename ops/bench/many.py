"""Many small campaigns, as transactional traffic arrives: 10,000 one-number campaigns
submitted through the HTTP API by several clients at once, then sent at interval 0 by
real workers.

Prints campaigns accepted per second, the feeder's tick with all of them waiting, the
first page of ``GET /v1/campaigns``, the time to send them all, and how fair the order
was (how many later campaigns went before an earlier one, at most).

    .venv/bin/python ops/bench/many.py [--campaigns 10000] [--clients 8] [--api-workers 2]

Targets on this 2-core machine: at least 500 campaigns/s accepted, a feeder tick of at
most 20 ms, the first page in at most 20 ms, every campaign completed.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import UTC, datetime

import httpx
from procs import answers, flat_out_stack  # ops/bench/, the script's own folder

from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.engine.feed import feed_account
from dispatcher.store import feeding
from dispatcher.store.apikeys import create_key


def submit_all(api: str, key: str, total: int, clients: int) -> float:
    """Seconds to have ``total`` one-number campaigns accepted (201) by ``clients``."""
    counter = iter(range(total))
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(
            base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as http:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                answer = http.post(
                    "/v1/campaigns",
                    json={
                        "name": f"otp {i}",
                        "message": f"Tu código es {i:06d}",
                        "recipients": [f"57310{i:07d}"],
                    },
                )
                if answer.status_code != 201:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} submissions failed, e.g. {failures[0]}")
    return seconds


def feeder_ticks(stack: Stack, runs: int = 20) -> list[float]:
    """The feeder's work for the account with every campaign waiting, in milliseconds;
    each tick is rolled back, so the next one sees the same state."""
    times = []
    for _ in range(runs):
        with stack.engine.connect() as conn:
            transaction = conn.begin()
            started = time.perf_counter()  # what feed.feed does, for the one account
            [(account, queued)] = feeding.accounts_to_feed(conn)
            room = stack.settings.feed_depth - queued
            picked = feed_account(conn, stack.settings, account, room, datetime.now(UTC))
            times.append((time.perf_counter() - started) * 1000)
            assert picked, "the feeder found nothing to send"
            transaction.rollback()
    return times


def first_pages(api: str, key: str, runs: int = 20) -> list[float]:
    times = []
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as http:
        for _ in range(runs):
            started = time.perf_counter()
            page = http.get("/v1/campaigns")
            times.append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200, page.text
            assert len(page.json()["items"]) == 50
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=4)
    args = parser.parse_args()

    stack, origin = flat_out_stack(args.in_flight)
    try:
        api = stack.start_api(workers=args.api_workers)
        key = create_key(stack.engine, "bench")
        wait_until(lambda: answers(api + "/healthz"), 60, "the API")
        accepted_s = submit_all(api, key, args.campaigns, args.clients)
        with stack.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        ticks = feeder_ticks(stack)
        pages = first_pages(api, key)

        started = time.perf_counter()
        for i in range(args.workers):
            stack.start_worker(f"bench{i}", concurrency=2, loglevel="WARNING")
        stack.start_beat()
        wait_until(
            lambda: stack.q("SELECT count(*) FROM campaign WHERE status <> 'completed'")[0][0] == 0,
            900,
            "every campaign to complete",
            0.2,
        )
        sent_s = time.perf_counter() - started
        # In the order they were sent, how many later campaigns went before each one.
        order = [
            row[0]
            for row in stack.q("SELECT campaign_id FROM chunk ORDER BY claimed_at, campaign_id")
        ]
        overtaken, latest = 0, 0
        for campaign_id in order:
            latest = max(latest, campaign_id)
            overtaken = max(overtaken, latest - campaign_id)
        duplicates = len(stack.sim.sim.duplicates())
        statuses = stack.q("SELECT status, count(*) FROM recipient GROUP BY 1")
    finally:
        stack.stop()

    print(
        f"postgres: {origin}; {args.campaigns:,} one-number campaigns, {args.clients} clients, "
        f"API with {args.api_workers} processes; {args.workers} workers x 2 processes"
    )
    rate = args.campaigns / accepted_s
    tick, page = statistics.median(ticks), statistics.median(pages)
    print(f"campaigns accepted/s: {rate:,.0f} ({accepted_s:.1f} s)")
    print(
        f"feeder tick with {args.campaigns:,} waiting: median {tick:.1f} ms, "
        f"max {max(ticks[1:]):.1f} ms (the first, on a cold cache: {ticks[0]:.1f} ms)"
    )
    print(f"GET /v1/campaigns first page: median {page:.1f} ms, max {max(pages):.1f} ms")
    print(
        f"sent all at interval 0 in {sent_s:.1f} s ({args.campaigns / sent_s:,.0f} campaigns/s); "
        f"recipients {dict(statuses)}; numbers accepted twice: {duplicates}"
    )
    print(f"fairness: at most {overtaken} later campaigns went before an earlier one")
    ok = rate >= 500 and tick <= 20 and page <= 20
    print(f"targets (>=500/s, tick <=20 ms, page <=20 ms): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
