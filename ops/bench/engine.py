"""Engine throughput: recipients per second from submit to ``completed``, with the
interval at 0 and the simulator on loopback (real Postgres, Redis, Celery workers, beat).

    .venv/bin/python ops/bench/engine.py [--numbers 200000] [--workers 2] [--concurrency 2]
        [--in-flight 4]

Target on this 2-core machine: at least 20,000 recipients/s.
"""

from __future__ import annotations

import argparse
import time

from dispatcher.dev import services as devservices
from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=4)
    args = parser.parse_args()

    server, origin = devservices.postgres_server_url()
    stack = Stack(
        server,
        block_interval_s=0.0,
        extra_env={
            "PREGONERO_SLOT_MARGIN_S": "0",
            "PREGONERO_MAX_IN_FLIGHT": str(args.in_flight),
            "PREGONERO_FEED_DEPTH": str(2 * args.in_flight + 2),
        },
    )
    try:
        for i in range(args.workers):
            stack.start_worker(f"bench{i}", concurrency=args.concurrency, loglevel="WARNING")
        stack.start_beat()
        time.sleep(3)  # workers up
        numbers = [f"57310{i:07d}" for i in range(1, args.numbers + 1)]
        started = time.perf_counter()
        cid = stack.submit(numbers, name="bench")
        submitted = time.perf_counter() - started
        wait_until(lambda: stack.campaign_status(cid) == "completed", 600, "completion", 0.05)
        seconds = time.perf_counter() - started
        statuses = stack.statuses(cid)
        duplicates = len(stack.sim.sim.duplicates())
        requests = len(stack.sim.sim.records)
    finally:
        stack.stop()
    rate = args.numbers / seconds
    print(
        f"postgres: {origin}; {args.workers} workers x {args.concurrency} processes, "
        f"MAX_IN_FLIGHT {args.in_flight}, interval 0"
    )
    print(
        f"recipients: {args.numbers:,} in {requests} requests; outcomes {statuses}; "
        f"numbers accepted twice: {duplicates}"
    )
    print(f"submit (intake) seconds: {submitted:.2f}")
    print(f"submit to completed seconds: {seconds:.2f}")
    print(f"end-to-end recipients/s: {rate:,.0f}")
    print(f"target (>= 20,000/s): {'met' if rate >= 20_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
