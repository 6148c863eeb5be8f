"""History: does a recipient table of 50 million rows slow today's work, and is
retention cheap?  One stack (Postgres, Redis, Celery workers, beat, the API, the
simulator on loopback), measured on an empty database, then again after loading
``--campaigns`` finished campaigns of ``--rows`` recipients each with SQL (not through
the API):

- the engine's rate (recipients/s from submit to completed at interval 0, the median of
  ``--runs`` campaigns of ``--numbers``), as ``engine.py`` measures it;
- a one-day outcome report (``GET /v1/reports/outcomes`` as CSV) and
  ``GET /v1/campaigns/{id}`` (median of 20), for the tenant that owns the history;
- ``pregonero retention run`` deleting the oldest 10,000,000 rows (1,000 campaigns past
  RETENTION_DAYS) while a campaign sends at the real pace (2 s): its seconds, and the
  largest gap between request starts the simulator saw meanwhile;
- ``pregonero exclusions import`` of a 5,000,000-number list, and of a 500,000 one:
  seconds and peak RSS of the command.

    .venv/bin/python ops/bench/history.py [--campaigns 5000] [--rows 10000]

Targets: engine rate within 10 % of the empty database's; report and detail as fast
(within 25 %, the noise of one run);
retention of 10M rows in at most 60 s with no gap over 2.1 s; a 5M list in at most 60 s
with the same peak RSS as a 500k one (flat).  Needs about 10 GB of disk.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from procs import flat_out_stack  # ops/bench/, the script's own folder
from sqlalchemy import text

from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.store import partitions

BIN = Path(sys.executable).parent
DUE = 1000  # the oldest campaigns, past retention: 10M rows at 10,000 each


def engine_rate(stack: Stack, numbers: int, runs: int, first: int) -> float:
    rates = []
    for run in range(runs):
        batch = [f"573{first + run * numbers + i:09d}" for i in range(numbers)]
        started = time.perf_counter()
        cid = stack.submit(batch, name="rate")
        wait_until(lambda c=cid: stack.campaign_status(c) == "completed", 600, "completion", 0.05)
        rates.append(numbers / (time.perf_counter() - started))
    return statistics.median(rates)


def reads(stack: Stack, base: str, campaign_id: int) -> tuple[float, float]:
    """Seconds of today's outcome report (CSV), and the median GET /v1/campaigns/{id}."""
    auth = {"Authorization": f"Bearer {stack.tenant_key}"}
    day = datetime.now(ZoneInfo("America/Bogota")).date().isoformat()
    with httpx.Client(base_url=base, headers=auth, timeout=600) as client:
        reports = []
        for _ in range(3):  # the median: the first may read from disk
            started = time.perf_counter()
            report = client.get(
                "/v1/reports/outcomes", params={"from": day, "to": day, "format": "csv"}
            )
            reports.append(time.perf_counter() - started)
            assert report.status_code == 200, report.text[:300]
        report_s = statistics.median(reports)
        times = []
        for _ in range(20):
            started = time.perf_counter()
            assert client.get(f"/v1/campaigns/{campaign_id}").status_code == 200
            times.append(time.perf_counter() - started)
    return report_s, statistics.median(times)


def load_history(stack: Stack, campaigns: int, rows: int) -> float:
    """Finished campaigns and their accepted recipients, written with SQL, partition by
    partition: the oldest DUE finished 400 days ago, the rest within the last 300."""
    started = time.perf_counter()
    width = partitions.WIDTH
    with stack.engine.begin() as conn:
        top = int(conn.execute(text("SELECT last_value FROM campaign_id_seq")).scalar_one())
        first = (top // width + 2) * width  # a partition of their own from the first
        conn.execute(text("SELECT setval('campaign_id_seq', :v)"), {"v": first - 1})
        conn.execute(
            text(
                "INSERT INTO campaign (id, tenant_id, account, name, message, method, purpose, "
                "status, request_hash, encoding, segments, submitted, sendable, chunks, "
                "n_accepted, created_at, updated_at, started_at, finished_at) "
                "SELECT :first + i, :t, 'default', 'history ' || i, 'hola', '1via', "
                "'commercial', 'completed', 'x', 'GSM-7', 1, :rows, :rows, :chunks, :rows, "
                "f, f, f, f FROM (SELECT i, CASE WHEN i < :due THEN now() - interval '400 days' "
                "+ i * interval '1 minute' ELSE now() - interval '300 days' + (i - :due) * "
                "(interval '299 days' / :rest) END AS f FROM generate_series(0, :n - 1) i) s"
            ),
            {"first": first, "t": stack.tenant_id, "rows": rows, "chunks": (rows + 999) // 1000,
             "due": DUE, "rest": max(1, campaigns - DUE), "n": campaigns},
        )  # fmt: skip
        conn.execute(text("SELECT setval('campaign_id_seq', :v)"), {"v": first + campaigns - 1})
    for lo in range(first, first + campaigns, width):
        hi = min(lo + width, first + campaigns)
        with stack.engine.begin() as conn:
            partitions.ensure(conn, lo)
            conn.execute(
                text(
                    "INSERT INTO recipient (campaign_id, n, line, chunk_seq, msisdn, status, "
                    "code, provider_ref, text_id, updated_at) SELECT c.id, g, g, (g - 1) / 1000, "
                    "'57310' || lpad(((c.id * 7919 + g) % 10000000)::text, 7, '0'), 'accepted', "
                    "0, (c.id * 100000 + g)::text, 0, c.finished_at FROM campaign c "
                    "CROSS JOIN generate_series(1, :rows) g WHERE c.id >= :lo AND c.id < :hi"
                ),
                {"rows": rows, "lo": lo, "hi": hi},
            )
        done = (hi - first) * rows
        print(f"  loaded {done:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
    with stack.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def paced(stack: Stack) -> None:
    """Workers and beat at the real pace: one block every 2 s."""
    for name in list(stack.workers):
        stack.kill_worker(name)
    if stack.beat is not None:
        stack.beat.terminate()
        stack.beat.wait(20)
        stack.beat = None
    env = {
        "PREGONERO_BLOCK_INTERVAL_S": "2",
        "PREGONERO_SLOT_MARGIN_S": "0.05",
        "PREGONERO_MAX_IN_FLIGHT": "1",
        "PREGONERO_FEED_DEPTH": "3",
        "PREGONERO_SWEEP_AFTER_S": "60",
    }
    for i in range(2):
        stack.start_worker(f"paced{i}", concurrency=2, loglevel="WARNING", env=env)
    argv = [str(BIN / "celery"), "-A", "workers", "beat", "--loglevel", "WARNING"]
    argv += ["--schedule", str(stack.logs / "paced-beat-schedule")]
    stack.others["paced-beat"] = stack._spawn("paced-beat", argv, env)


def timed_cli(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) and output of a ``pregonero`` command."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(
            [str(BIN / "pregonero"), *args],
            env={**env, "COLUMNS": "200"},
            stdout=out_file,
            stderr=err_file,
        )
        peak = 0.0
        while proc.poll() is None:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except OSError:
                pass
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read().decode(), err_file.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"pregonero {' '.join(args)} failed: {err[-500:]}")
    return seconds, peak, out.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--campaigns", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--numbers", type=int, default=100_000, help="each rate campaign")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stack, origin = flat_out_stack(4)
    try:
        for i in range(2):
            stack.start_worker(f"bench{i}", concurrency=2, loglevel="WARNING")
        stack.start_beat()
        base = stack.start_api()
        time.sleep(3)
        print(f"postgres: {origin}")
        engine_rate(stack, args.numbers // 4, 1, 50_000_000)  # warm up: connections, caches
        empty_rate = engine_rate(stack, args.numbers, args.runs, 100_000_000)
        last = int(stack.q("SELECT max(id) FROM campaign")[0][0])
        empty_report, empty_detail = reads(stack, base, last)
        print(f"empty: {empty_rate:,.0f} recipients/s; report {empty_report:.2f} s; "
              f"detail {1000 * empty_detail:.1f} ms")  # fmt: skip
        total = args.campaigns * args.rows
        print(f"loading {total:,} rows of {args.campaigns:,} finished campaigns with SQL")
        load_s = load_history(stack, args.campaigns, args.rows)
        size = stack.q(
            "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = 'recipient'::regclass"
        )[0][0]
        counted = stack.q("SELECT count(*) FROM recipient")[0][0]
        print(f"loaded in {load_s:.0f} s: recipient holds {counted:,} rows ({size})")
        # the same day's report and the same campaign as on the empty database
        full_report, full_detail = reads(stack, base, last)
        full_rate = engine_rate(stack, args.numbers, args.runs, 200_000_000)
        print(f"full: {full_rate:,.0f} recipients/s; report {full_report:.2f} s; "
              f"detail {1000 * full_detail:.1f} ms")  # fmt: skip
        ratio = full_rate / empty_rate
        print(f"engine rate full/empty: {ratio:.3f} ({'within' if ratio >= 0.9 else 'NOT within'}"
              " 10 %)")  # fmt: skip
        print(f"report full/empty: {full_report / empty_report:.2f}; "
              f"detail full/empty: {full_detail / empty_detail:.2f}")  # fmt: skip

        paced(stack)
        before = len(stack.sim.sim.records)
        cid = stack.submit([f"573{300_000_000 + i:09d}" for i in range(40_000)], name="paced")
        wait_until(lambda: len(stack.sim.sim.records) > before + 2, 120, "paced sends")
        swept: dict[str, object] = {}

        def retention() -> None:
            seconds, _rss, out = timed_cli(stack.env, "retention", "run")
            swept.update(seconds=seconds, out=out.splitlines()[-1])

        before_rows = stack.q("SELECT count(*) FROM recipient")[0][0]
        runner = threading.Thread(target=retention)
        window_start = time.time()
        runner.start()
        runner.join()
        window_end = time.time()
        time.sleep(2.5)
        starts = sorted(r.started_at for r in stack.sim.sim.records[before:])
        during = [s for s in starts if window_start - 2.5 <= s <= window_end + 2.5]
        gaps = [b - a for a, b in pairwise(during)]
        left = stack.q("SELECT count(*) FROM recipient")[0][0]
        gone = before_rows - left
        print(f"retention run: {swept['seconds']:.1f} s; {swept['out']}; {gone:,} rows gone, "
              f"{left:,} left")  # fmt: skip
        worst = max(gaps) if gaps else float("nan")
        print(f"while it ran: {len(during)} requests at the real pace, largest gap {worst:.3f} s "
              f"(min {min(gaps) if gaps else float('nan'):.3f} s)")  # fmt: skip
        httpx.post(  # the rest of it need not be sent
            f"{base}/v1/campaigns/{cid}/cancel",
            headers={"Authorization": f"Bearer {stack.tenant_key}"},
        )

        # a due campaign that shares its partition with kept ones: deleted in batches
        shared = stack.q(
            "SELECT id FROM campaign WHERE name LIKE 'history %' AND purged_at IS NULL "
            "ORDER BY id LIMIT 100"
        )
        with stack.engine.begin() as conn:
            conn.execute(
                text("UPDATE campaign SET finished_at = now() - interval '400 days' "
                     "WHERE id = ANY(:ids)"),
                {"ids": [r[0] for r in shared]},
            )  # fmt: skip
        seconds, _rss, out = timed_cli(stack.env, "retention", "run")
        print(f"retention in batches: {out.splitlines()[-1]} in {seconds:.1f} s "
              f"({len(shared) * args.rows / seconds:,.0f} rows/s)")  # fmt: skip

        with tempfile.TemporaryDirectory() as tmp:
            figures = {}
            for count in (500_000, 5_000_000):
                path = Path(tmp) / f"list-{count}.csv"
                with path.open("w") as handle:
                    handle.write("numero\n")
                    for i in range(count):
                        handle.write(f"573{100_000_000 + i * 7:09d}\n")
                seconds, rss, out = timed_cli(
                    stack.env, "exclusions", "import", str(path), "--list", f"bench{count}",
                    "--purposes", "commercial",
                )  # fmt: skip
                figures[count] = (seconds, rss)
                print(f"exclusions import of {count:,}: {seconds:.1f} s, peak RSS {rss:.0f} MB; "
                      f"{out.splitlines()[-1]}")  # fmt: skip
        flat = figures[5_000_000][1] <= figures[500_000][1] * 1.2
        print(f"list import peak RSS 5M/500k: {figures[5_000_000][1] / figures[500_000][1]:.2f} "
              f"({'flat' if flat else 'GROWS'})")  # fmt: skip
        reads_ok = full_report <= 1.25 * empty_report and full_detail <= 1.25 * empty_detail
        print(f"reads as fast (within 25 %): {'yes' if reads_ok else 'NO'}")
        ok = (
            ratio >= 0.9
            and reads_ok
            and float(swept["seconds"]) <= 60  # type: ignore[arg-type]
            and worst <= 2.1
            and figures[5_000_000][0] <= 60
            and flat
        )
        print(f"targets: {'met' if ok else 'NOT met'}")
    finally:
        stack.stop()


if __name__ == "__main__":
    os.environ.setdefault("PREGONERO_LOG_FORMAT", "text")
    main()
