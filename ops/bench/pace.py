"""Pace at the real interval: 100,000 numbers (100 blocks) at BLOCK_INTERVAL_S=2 with 4
worker processes; prints total seconds and the minimum and mean gap between request
starts as the simulator saw them.

    .venv/bin/python ops/bench/pace.py [--numbers 100000] [--interval 2.0]

Targets: total at most 205 s, minimum gap at least 2.0 s, mean gap at most 2.1 s.

The system is warmed first with a one-block campaign, as a running system is: the
limiter's key then exists.  (After a Redis restart the first slot is one interval
away on purpose, which would add one interval.)
"""

from __future__ import annotations

import argparse
import statistics
import time
from itertools import pairwise

from dispatcher.dev import services as devservices
from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()

    server, _origin = devservices.postgres_server_url()
    stack = Stack(
        server, block_interval_s=args.interval, extra_env={"PREGONERO_SWEEP_AFTER_S": "60"}
    )
    try:
        for i in range(4):
            stack.start_worker(f"pace{i}", concurrency=1, loglevel="WARNING")
        stack.start_beat()
        warm = stack.submit(["573100000001"], name="warm-up")
        wait_until(lambda: stack.campaign_status(warm) == "completed", 60, "warm-up")
        warm_requests = len(stack.sim.sim.records)
        numbers = [f"57310{i:07d}" for i in range(2, args.numbers + 2)]
        started = time.perf_counter()
        cid = stack.submit(numbers, name="pace")
        wait_until(lambda: stack.campaign_status(cid) == "completed", 1200, "completion", 0.05)
        total_s = time.perf_counter() - started
        records = stack.sim.sim.records[warm_requests:]
        starts = sorted(r.started_at for r in records)
        last_end = max(r.finished_at or r.started_at for r in records)
        gaps = [b - a for a, b in pairwise(starts)]
        statuses = stack.statuses(cid)
        duplicates = len(stack.sim.sim.duplicates())
    finally:
        stack.stop()
    print(
        f"{args.numbers:,} numbers in {len(records)} requests, interval {args.interval} s, "
        f"4 worker processes; outcomes {statuses}; accepted twice: {duplicates}"
    )
    print(f"total seconds (submit to completed): {total_s:.1f}")
    print(f"first request start to last answer: {last_end - starts[0]:.1f}")
    print(
        f"gap between request starts: min {min(gaps):.3f} s, mean {statistics.mean(gaps):.3f} s, "
        f"max {max(gaps):.3f} s"
    )
    ok = total_s <= 205 and min(gaps) >= 2.0 and statistics.mean(gaps) <= 2.1
    print(f"targets (<= 205 s, min gap >= 2.0 s, mean gap <= 2.1 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
