"""What Flower lists after the system sat idle: the tasks by name.

    .venv/bin/python ops/bench/flower_idle.py [--minutes 10]

Starts the demo's set-up with the shipped settings (two workers, beat, Flower; the
balance polled every 60 s, the feeder every 0.5 s), sends one small campaign, then waits
MINUTES with nothing to do and prints Flower's task list counted by task name, and the
tasks per idle minute.  Target: housekeeping adds at most a couple of tasks a minute
(the feeder used to add 120).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import httpx
from procs import answers  # ops/bench/, the script's own folder

from dispatcher.accounts import configured_accounts, worker_threads
from dispatcher.dev import services as devservices
from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import FEED_DEPTH, Stack
from dispatcher.domain.status import CampaignStatus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    server, _origin = devservices.postgres_server_url()
    # The shipped pace of beat's chores, not the suite's.
    stack = Stack(
        server,
        block_interval_s=2.0,
        extra_env={"PREGONERO_BALANCE_POLL_S": "60", "PREGONERO_FEED_EVERY_S": "0.5"},
    )
    try:
        threads = worker_threads(len(configured_accounts(stack.settings)), FEED_DEPTH)
        for name in ("idle1", "idle2"):
            stack.start_worker(name, concurrency=threads, pool="threads", loglevel="WARNING")
        stack.start_beat()
        flower = stack.start_flower("bench:bench")
        wait_until(lambda: answers(flower + "/healthcheck"), 60, "Flower")
        cid = stack.submit([f"57310{k:07d}" for k in range(2500)], name="before idling")
        wait_until(lambda: stack.campaign_status(cid) is CampaignStatus.COMPLETED, 60, "sent")

        def listed() -> Counter[str]:
            tasks = httpx.get(flower + "/api/tasks", auth=("bench", "bench"), timeout=10).json()
            return Counter(t["name"] for t in tasks.values())

        before = listed()
        print(f"after the campaign: {dict(before)}")
        time.sleep(args.minutes * 60)
        after = listed()
        print(f"after {args.minutes:g} idle minutes, Flower lists: {dict(after)}")
        added = sum(after.values()) - sum(before.values())
        print(
            f"tasks added while idle: {added} ({added / args.minutes:.1f} a minute); "
            f"feeder chores run meanwhile: {stack.chore_runs('feed')}"
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
