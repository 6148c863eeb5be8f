"""Engine throughput: recipients per second from submit to ``completed``, with the
interval at 0 and the simulator on loopback (real Postgres, Redis, Celery workers, beat).

    .venv/bin/python ops/bench/engine.py [--numbers 200000] [--workers 2] [--concurrency 2]
        [--in-flight 4]

Then what one block costs, measured in this process on the same stack: the feeder and
``Sender.send_chunk`` (the code a Celery task runs) for ``--blocks`` blocks, counting SQL
statements, database round trips (statements plus BEGIN and COMMIT), Redis round trips
and provider requests per block; and, over the Celery run, the Redis commands per block
of the whole system (broker, results and limiter).  ``--profile`` prints where the
in-process blocks spent their time (cProfile).

Target on this 2-core machine: at least 50,000 recipients/s.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import redis
from procs import cpu_by_kind, flat_out_stack  # ops/bench/, the script's own folder
from sqlalchemy import event

from dispatcher.accounts import configured_accounts
from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.engine import feed
from dispatcher.engine.send import Sender
from dispatcher.provider.client import client_for
from dispatcher.store.rows import QueuedChunk
from workers.limiter import RedisLimiter

# Who spends the CPU while the workers send: the processes by their command line.
KINDS = {
    "postgres": lambda c: c.startswith("postgres"),
    "redis": lambda c: "redis-server" in c,
    "celery workers": lambda c: " worker " in c and "celery" in c,
    "beat": lambda c: " beat" in c and "celery" in c,
    "this process (simulator)": lambda c: "bench/engine.py" in c,
}


@contextmanager
def counting(stack: Stack) -> Iterator[Counter[str]]:
    """Count what this process sends: SQL statements, BEGIN and COMMIT on the stack's
    engine, and every command or pipeline written to a Redis socket."""
    counts: Counter[str] = Counter()

    def statement(*_a: Any) -> None:
        counts["sql statements"] += 1

    def begin(*_a: Any) -> None:
        counts["sql begin"] += 1

    def commit(*_a: Any) -> None:
        counts["sql commit"] += 1

    listeners = [("before_cursor_execute", statement), ("begin", begin), ("commit", commit)]
    for name, fn in listeners:
        event.listen(stack.engine, name, fn)
    send = redis.connection.Connection.send_packed_command

    def counted(self: redis.connection.Connection, *args: Any, **kwargs: Any) -> None:
        counts["redis round trips"] += 1
        send(self, *args, **kwargs)

    redis.connection.Connection.send_packed_command = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        redis.connection.Connection.send_packed_command = send  # type: ignore[method-assign]
        for name, fn in listeners:
            event.remove(stack.engine, name, fn)


def block_cost(stack: Stack, blocks: int, profile: bool) -> None:
    """Feed and send ``blocks`` blocks in this process, as a worker does, and print
    what one costs."""
    settings = stack.settings
    configured = configured_accounts(settings)
    clients = {a.name: client_for(a, settings) for a in configured}
    limiter = RedisLimiter.from_url(settings.redis_url)
    sender = Sender(
        stack.engine,
        settings,
        {a.name: a for a in configured},
        clients.__getitem__,
        limiter,
        lambda: datetime.now(UTC),
        "bench:in-process",
    )
    size = settings.chunk_size
    numbers = [f"57311{i:07d}" for i in range(1, blocks * size + 1)]
    cid = stack.submit(numbers, name="block cost")
    requests_before = len(stack.sim.sim.records)
    fed: list[QueuedChunk] = []
    profiler = cProfile.Profile() if profile else None
    with counting(stack) as counts:
        while True:
            with counting(stack) as feeder_counts:
                picked = feed.feed(stack.engine, settings, datetime.now(UTC), fed.append)
            counts["feeder statements"] += feeder_counts["sql statements"]
            counts["feeder ticks"] += 1
            if not picked:
                break
            if profiler:
                profiler.enable()
            for chunk in picked:
                sender.send_chunk(chunk.id)
            if profiler:
                profiler.disable()
    sent = len(fed)
    requests = len(stack.sim.sim.records) - requests_before
    assert stack.campaign_status(cid) == "completed", stack.campaign_status(cid)
    send_statements = counts["sql statements"] - counts["feeder statements"]
    trips = counts["sql statements"] + counts["sql begin"] + counts["sql commit"]
    print(f"\none block of {size:,} numbers, in this process ({sent} blocks, {requests} requests):")
    print(f"  send_chunk: {send_statements / sent:.1f} SQL statements")
    print(
        f"  feeder: {counts['feeder statements'] / sent:.1f} SQL statements a block "
        f"({counts['feeder ticks']} ticks)"
    )
    print(
        f"  database round trips a block (statements, BEGIN, COMMIT; feeder included): "
        f"{trips / sent:.1f}"
    )
    print(f"  Redis round trips a block (limiter): {counts['redis round trips'] / sent:.1f}")
    print(f"  provider requests a block: {requests / sent:.1f}")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--blocks", type=int, default=50, help="blocks measured in-process")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process blocks")
    args = parser.parse_args()

    stack, origin = flat_out_stack(args.in_flight)
    try:
        for i in range(args.workers):
            stack.start_worker(f"bench{i}", concurrency=args.concurrency, loglevel="WARNING")
        stack.start_beat()
        time.sleep(3)  # workers up
        broker = stack.redis_client()
        broker.config_resetstat()
        numbers = [f"57310{i:07d}" for i in range(1, args.numbers + 1)]
        started = time.perf_counter()
        cid = stack.submit(numbers, name="bench")
        submitted = time.perf_counter() - started
        cpu_before = cpu_by_kind(KINDS)
        wait_until(lambda: stack.campaign_status(cid) == "completed", 600, "completion", 0.05)
        seconds = time.perf_counter() - started
        cpu_after = cpu_by_kind(KINDS)
        statuses = stack.statuses(cid)
        duplicates = len(stack.sim.sim.duplicates())
        requests = len(stack.sim.sim.records)
        commands = sum(int(stat["calls"]) for stat in broker.info("commandstats").values())
        for name in list(stack.workers):  # the in-process part runs alone
            stack.kill_worker(name)
        if stack.beat is not None:
            stack.beat.terminate()
            stack.beat.wait(20)
            stack.beat = None
        block_cost(stack, args.blocks, args.profile)
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
    print(
        f"Redis commands a block over the Celery run (broker, results, limiter, beat): "
        f"{commands / requests:.1f}"
    )
    blocks = requests
    cpu = {k: cpu_after.get(k, 0.0) - cpu_before.get(k, 0.0) for k in cpu_after}
    print(f"CPU a block while sending ({seconds - submitted:.2f} s of wall time on 2 cores):")
    for kind, spent in sorted(cpu.items(), key=lambda kv: -kv[1]):
        if spent > 0:
            print(f"  {kind}: {1000 * spent / blocks:.1f} ms")
    print(f"  all: {1000 * sum(cpu.values()) / blocks:.1f} ms")
    print(f"target (>= 50,000/s): {'met' if rate >= 50_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
