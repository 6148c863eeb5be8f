"""Several provider accounts at once: none slows another.

    .venv/bin/python ops/bench/accounts.py [--accounts 4] [--numbers 25000] [--interval 2.0]

Runs the runbook's worker set-up (2 workers, the threads pool, accounts x FEED_DEPTH + 2
threads each) against the simulator holding one user per account:

1. every account sends NUMBERS at once: per account the minimum and mean gap between
   request starts at the simulator, and the total (targets: min >= interval, mean <=
   interval + 0.1 s, total <= 55 s for 4 x 25,000 at 2 s, against about 200 s for the
   same 100,000 numbers through one account);
2. the same with the first account answering in 1.5 s: the others' figures unchanged;
3. over 20 tries, the time from a one-number campaign's 201 to its request at the
   simulator on an idle account: median and worst.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from itertools import pairwise

import httpx
from procs import answers  # ops/bench/, the script's own folder

from dispatcher.accounts import worker_threads
from dispatcher.dev import services as devservices
from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import FEED_DEPTH, Stack
from dispatcher.domain.status import CampaignStatus
from dispatcher.provider.simulator import SimConfig
from dispatcher.store.apikeys import create_key


def accounts_env(n: int) -> list[dict[str, object]]:
    return [
        {"name": f"acct{i}", "user": f"user{i}", "token": f"token{i}", "password": f"pw{i}"}
        for i in range(n)
    ]


def run_all(stack: Stack, n: int, numbers: int, first: int) -> tuple[float, dict[str, list[float]]]:
    since = len(stack.sim.sim.records)
    started = time.perf_counter()
    ids = []
    for i in range(n):
        batch = [f"57310{first + i * numbers + k:07d}" for k in range(numbers)]
        ids.append(stack.submit(batch, name=f"acct{i}", account=f"acct{i}"))
    wait_until(
        lambda: all(stack.campaign_status(c) is CampaignStatus.COMPLETED for c in ids),
        900,
        "every campaign to complete",
        0.05,
    )
    total = time.perf_counter() - started
    starts: dict[str, list[float]] = {}
    for record in stack.sim.sim.records[since:]:
        starts.setdefault(record.user, []).append(record.started_at)
    return total, starts


def report(title: str, total: float, starts: dict[str, list[float]], interval: float) -> None:
    print(title)
    for user in sorted(starts):
        gaps = [b - a for a, b in pairwise(sorted(starts[user]))]
        print(
            f"  {user}: {len(starts[user])} requests, gap min {min(gaps):.3f} s, "
            f"mean {statistics.mean(gaps):.3f} s"
        )
    print(f"  total seconds, submit to all completed: {total:.1f}")


def first_block_latency(stack: Stack, tries: int) -> list[float]:
    """From a one-number campaign's 201 to its request at the simulator."""
    base = stack.start_api()
    wait_until(lambda: answers(base + "/readyz"), 60, "the API")
    auth = {"Authorization": f"Bearer {create_key(stack.engine, 'bench')}"}
    latencies = []
    rng = random.Random(7)
    for k in range(tries):
        since = len(stack.sim.sim.records)
        response = httpx.post(
            base + "/v1/campaigns",
            json={
                "name": "one",
                "message": "hola",
                "recipients": [f"5731099{k:05d}"],
                "account": "acct1",
            },
            headers=auth,
        )
        answered = time.time()
        assert response.status_code == 201, response.text
        wait_until(lambda s=since: len(stack.sim.sim.records) > s, 30, "the request", 0.005)
        latencies.append(stack.sim.sim.records[since].started_at - answered)
        # Idle again (its slot is free), and at a random moment against beat's schedule.
        time.sleep(stack.settings.block_interval_s + 0.2 + rng.uniform(0, 1))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--numbers", type=int, default=25_000)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--tries", type=int, default=20)
    args = parser.parse_args()
    accounts = accounts_env(args.accounts)
    sim = SimConfig(
        enforce_window=False,
        user="user0",
        token="token0",
        password="pw0",
        accounts=[
            {"user": a["user"], "token": a["token"], "password": a["password"]}
            for a in accounts[1:]
        ],
    )
    server, _origin = devservices.postgres_server_url()
    stack = Stack(
        server,
        block_interval_s=args.interval,
        sim_config=sim,
        extra_env={"PREGONERO_ACCOUNTS": json.dumps(accounts), "PREGONERO_SWEEP_AFTER_S": "60"},
    )
    threads = worker_threads(args.accounts, FEED_DEPTH)
    try:
        for name in ("bench1", "bench2"):
            stack.start_worker(name, concurrency=threads, pool="threads", loglevel="WARNING")
        stack.start_beat()
        print(
            f"{args.accounts} accounts x {args.numbers:,} numbers at {args.interval} s; "
            f"2 workers, threads pool, {threads} threads each"
        )
        total, starts = run_all(stack, args.accounts, args.numbers, 1)
        report("all accounts at once:", total, starts, args.interval)
        stack.sim.sim.configure(
            {
                "accounts": [
                    {**a, "latency_s": 1.5} if a["user"] == "user1" else a
                    for a in stack.sim.sim.config.accounts
                ]
            }
        )
        total, starts = run_all(
            stack, args.accounts, args.numbers, 1 + args.accounts * args.numbers
        )
        report("the same, user1 answering in 1.5 s:", total, starts, args.interval)
        stack.sim.sim.configure(
            {"accounts": [{**a, "latency_s": 0.0} for a in stack.sim.sim.config.accounts]}
        )
        latencies = first_block_latency(stack, args.tries)
        print(
            f"one-number campaign, 201 to its request at the simulator, {args.tries} tries: "
            f"median {statistics.median(latencies):.2f} s, worst {max(latencies):.2f} s"
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
