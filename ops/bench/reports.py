"""Reports benchmark: a date-range outcomes report streamed as CSV over the HTTP API.

Two tenants, one with 100,000 recipients and one with 1,000,000 (accepted, with
provider references).  Each report is fetched from a fresh API process, so its peak
RSS is that report's; the CSV is compared row by row with the database (the same rows,
in the same order, with the same values).

    .venv/bin/python ops/bench/reports.py [--small 100000] [--large 1000000]

Targets: the API's peak RSS the same for both sizes (streamed, not held), every row equal.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from procs import peak_rss_mb, wait_up  # ops/bench/, the script's own folder
from sqlalchemy import Engine, text

from dispatcher.accounts import configured_accounts
from dispatcher.dev import services as devservices
from dispatcher.settings import load_settings
from dispatcher.store import accounts
from dispatcher.store.apikeys import create_key
from dispatcher.store.db import make_engine
from dispatcher.store.migrate import upgrade
from dispatcher.store.reads import cell
from dispatcher.store.reports import OUTCOME_COLUMNS

BIN = Path(sys.executable).parent / "pregonero"


def seed(engine: Engine, tenant: str, total: int, start: int) -> None:
    """One campaign of ``total`` accepted recipients, written straight into the tables
    (the report reads them; how they got there does not matter here)."""
    with engine.begin() as conn:
        tenant_id = conn.execute(
            text("SELECT id FROM tenant WHERE name = :t"), {"t": tenant}
        ).scalar()
        campaign_id = conn.execute(
            text(
                "INSERT INTO campaign (tenant_id, account, name, message, method, purpose, "
                "status, request_hash, encoding, segments, submitted, sendable, chunks, "
                "n_accepted, started_at, finished_at) VALUES (:t, 'default', 'bench', 'hola', "
                "'1via', 'transactional', 'completed', 'x', 'gsm7', 1, :n, :n, :k, :n, now(), "
                "now()) RETURNING id"
            ),
            {"t": tenant_id, "n": total, "k": (total + 999) // 1000},
        ).scalar()
        conn.execute(
            text(
                "INSERT INTO recipient (campaign_id, n, chunk_seq, msisdn, status, code, "
                "provider_ref, updated_at) SELECT :c, g, (g - 1) / 1000, "
                "'57310' || lpad((:s + g)::text, 7, '0'), 'accepted', 1, "
                "(12100000 + g)::text, now() FROM generate_series(1, :n) AS g"
            ),
            {"c": campaign_id, "n": total, "s": start},
        )


def fetch(url: str, port: int, key: str, day: str) -> tuple[float, float, str, int]:
    """Seconds, peak RSS of a fresh API process, digest of the CSV and its rows."""
    env = {**os.environ, "PREGONERO_DATABASE_URL": url}
    proc = subprocess.Popen(
        [str(BIN), "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base, proc)
        digest, rows = hashlib.sha256(), 0
        started = time.perf_counter()
        with httpx.stream(
            "GET",
            base + "/v1/reports/outcomes",
            params={"from": day, "to": day, "format": "csv"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=600,
        ) as response:
            if response.status_code != 200:
                raise SystemExit(f"report failed: {response.status_code} {response.read()[:300]!r}")
            for line in response.iter_lines():
                digest.update(line.encode() + b"\n")
                rows += 1
        seconds = time.perf_counter() - started
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(20)
    return seconds, rss, digest.hexdigest(), rows - 1


def expected(engine: Engine, tenant: str) -> str:
    """The same report computed from the database: header, then every row in order."""
    digest = hashlib.sha256()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OUTCOME_COLUMNS)
    with engine.connect().execution_options(stream_results=True, yield_per=10000) as conn:
        result = conn.execute(
            text(
                "SELECT r.campaign_id, r.msisdn, r.status, r.reason, r.code, r.provider_ref, "
                "r.updated_at FROM recipient r JOIN campaign c ON c.id = r.campaign_id "
                "JOIN tenant t ON t.id = c.tenant_id WHERE t.name = :t "
                "ORDER BY r.campaign_id, r.n"
            ),
            {"t": tenant},
        )
        for row in result:
            writer.writerow([v.isoformat() if isinstance(v, datetime) else cell(v) for v in row])
            if buffer.tell() > 1 << 20:
                for line in buffer.getvalue().splitlines():
                    digest.update(line.encode() + b"\n")
                buffer.seek(0)
                buffer.truncate()
    for line in buffer.getvalue().splitlines():
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=18766)
    args = parser.parse_args()

    server_url, origin = devservices.postgres_server_url()
    db = f"pregonero_bench_{os.getpid()}"
    url = devservices.create_database(server_url, db)
    try:
        upgrade(url)
        engine = make_engine(url, pool_size=1)
        keys = {name: create_key(engine, name) for name in ("small", "large")}
        with engine.begin() as conn:
            accounts.sync(conn, configured_accounts(load_settings(database_url=url)))
        seed(engine, "small", args.small, 0)
        seed(engine, "large", args.large, args.small)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        day = datetime.now(ZoneInfo("America/Bogota")).date().isoformat()
        print(f"postgres: {origin}; report of one day, streamed as CSV from a fresh API process")
        peaks = []
        for name, total in (("small", args.small), ("large", args.large)):
            seconds, rss, got, rows = fetch(url, args.port, keys[name], day)
            same = got == expected(engine, name)
            peaks.append(rss)
            print(
                f"{total:>9,} recipients: {seconds:.2f} s ({rows / seconds:,.0f} rows/s), "
                f"API peak RSS {rss:.0f} MB, {rows:,} rows, "
                f"{'every row matches the database' if same and rows == total else 'MISMATCH'}"
            )
        flat = peaks[1] <= peaks[0] * 1.2
        print(f"peak RSS large/small: {peaks[1] / peaks[0]:.2f} ({'flat' if flat else 'GROWS'})")
        engine.dispose()
    finally:
        devservices.drop_database(server_url, db)


if __name__ == "__main__":
    main()
