"""Intake benchmark: campaigns of numbers (10% invalid, 5% duplicates) through the HTTP API.

For each campaign size (1,000,000 and 5,000,000 by default), a CSV upload to a fresh
API process: the seconds from the first byte sent to the 201, recipients per second,
the API process's peak RSS, and the ratio to a bare COPY of the same recipient rows
into a table with the same columns and indexes, measured in the same run.  Then a
5,000,000-number JSON body.

    .venv/bin/python ops/bench/intake.py [--numbers 1000000,5000000] [--json-numbers 0]

Targets on a 2-core machine: peak RSS at most 200 MB at every size (memory flat in the
campaign's size), at most 2.7x the bare COPY.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
from procs import peak_rss_mb, wait_up  # ops/bench/, the script's own folder
from sqlalchemy.engine import make_url

from dispatcher.dev import services as devservices
from dispatcher.store.apikeys import create_key
from dispatcher.store.db import make_engine
from dispatcher.store.migrate import upgrade

BIN = Path(sys.executable).parent / "pregonero"


def make_csv(path: Path, total: int, seed: int = 1) -> None:
    """Numbers as CRM exports have them: mostly plain, some with +57 and spaces; the
    invalid tenth is varied (truncated, one digit too many, landlines, unassigned ranges,
    text), nearly all distinct."""
    rng = random.Random(seed)
    n_invalid, n_dup = total // 10, total // 20
    n_valid = total - n_invalid - n_dup
    valid = [f"31{i:08d}" for i in range(n_valid)]  # 310-319: assigned mobile ranges
    invalid_kinds = [
        lambda: f"3{rng.randrange(10**7, 10**8)}",  # 9 digits: truncated
        lambda: f"3{rng.randrange(10**9, 10**10)}",  # 11 digits: one too many
        lambda: f"+57 601 {rng.randrange(10**6, 10**7)}",  # Bogotá landline
        lambda: f"39{rng.randrange(10**7, 10**8)}",  # unassigned mobile range
        lambda: rng.choice(["N/A", "sin numero", "-", "0", "pendiente"]),
        lambda: f"{rng.randrange(10**6, 10**7)}",  # 7 digits: an old local number
    ]
    rows = valid + [rng.choice(valid) for _ in range(n_dup)]
    rows += [rng.choice(invalid_kinds)() for _ in range(n_invalid)]
    rng.shuffle(rows)
    with path.open("w") as f:
        f.write("msisdn\n")
        for row in rows:
            spaced = row.isdigit() and len(row) == 10 and rng.random() < 0.3
            f.write(f"+57 {row[:3]} {row[3:6]} {row[6:]}\n" if spaced else f"{row}\n")


def stream(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(1 << 16):
            yield block


def bare_copy(conninfo: str, campaign_id: int) -> tuple[float, float, int]:
    """COPY the campaign's rows again into (a) a table like recipient, indexes included,
    and (b) one without indexes; return both times and the row count."""
    with psycopg.connect(conninfo) as conn:
        buf = io.BytesIO()
        cols = "campaign_id, n, line, chunk_seq, msisdn, status, reason, text_id, detail"
        with conn.cursor().copy(
            f"COPY (SELECT {cols} FROM recipient WHERE campaign_id = {campaign_id}) TO STDOUT"  # noqa: S608
        ) as cp:
            for block in cp:
                buf.write(block)
        data = buf.getvalue()
        rows = data.count(b"\n")
        times = []
        for ddl in (
            "CREATE TABLE bare_same (LIKE recipient INCLUDING ALL)",
            "CREATE TABLE bare_plain (LIKE recipient INCLUDING DEFAULTS)",
        ):
            conn.execute(ddl)
            conn.commit()
            table = ddl.split()[2]
            started = time.perf_counter()
            with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                for i in range(0, len(data), 1 << 20):
                    cp.write(data[i : i + (1 << 20)])
            conn.commit()
            times.append(time.perf_counter() - started)
        return times[0], times[1], rows


def make_json(path: Path, total: int) -> None:
    """A JSON campaign body, the numbers as backend systems send them."""
    with path.open("w") as f:
        f.write('{"name": "bench json", "message": "Hola, esta es una prueba", "recipients": [')
        for i in range(total):
            f.write(f'{"," if i else ""}"3{i % 10}{i:08d}"')
        f.write("]}")


def upload(
    url: str, port: int, key: str, path: Path, content_type: str, params: dict[str, str]
) -> tuple[float, float, dict[str, Any]]:
    """POST the file to a fresh API process; seconds, its peak RSS, the answer."""
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
        started = time.perf_counter()
        response = httpx.post(
            base + "/v1/campaigns",
            params=params,
            content=stream(path),
            headers={"Authorization": f"Bearer {key}", "Content-Type": content_type},
            timeout=600,
        )
        seconds = time.perf_counter() - started
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(20)
    if response.status_code != 201:
        raise SystemExit(f"intake failed: {response.status_code} {response.text[:500]}")
    return seconds, rss, dict(response.json())


def measure(url: str, port: int, key: str, tmp: Path, numbers: int) -> dict[str, Any]:
    """One CSV campaign through a fresh API process, then its rows COPYed bare."""
    path = tmp / f"numbers-{numbers}.csv"
    make_csv(path, numbers)
    size_mb = path.stat().st_size / 1e6
    params = {"name": "bench", "message": "Hola, esta es una prueba de carga"}
    seconds, rss, body = upload(url, port, key, path, "text/csv", params)
    path.unlink()
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    same_s, plain_s, rows = bare_copy(conninfo, body["id"])
    with psycopg.connect(conninfo, autocommit=True) as conn:  # the next run starts level
        conn.execute("DROP TABLE bare_same")
        conn.execute("DROP TABLE bare_plain")
        conn.execute("DELETE FROM recipient")
        conn.execute("VACUUM recipient")
    return {
        "numbers": numbers,
        "mb": size_mb,
        "seconds": seconds,
        "rss": rss,
        "counts": body["counts"],
        "chunks": body["chunks"],
        "rows": rows,
        "same_s": same_s,
        "plain_s": plain_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--numbers",
        default="1000000,5000000",
        help="comma-separated campaign sizes, each a CSV upload to a fresh API process",
    )
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--json-numbers", type=int, default=5_000_000, help="0: skip")
    args = parser.parse_args()
    sizes = [int(n) for n in args.numbers.split(",")]

    server_url, origin = devservices.postgres_server_url()
    db = f"pregonero_bench_{os.getpid()}"
    url = devservices.create_database(server_url, db)
    upgrade(url)
    engine = make_engine(url, pool_size=1)
    key = create_key(engine, "bench")
    engine.dispose()

    print(f"postgres: {origin}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for numbers in sizes:
            r = measure(url, args.port, key, Path(tmp), numbers)
            results.append(r)
            print(f"\nCSV upload {r['mb']:.1f} MB, {numbers:,} lines")
            print(f"  counts: {r['counts']}, chunks {r['chunks']}")
            print(f"  intake seconds: {r['seconds']:.2f}")
            print(f"  intake recipients/s: {numbers / r['seconds']:,.0f}")
            print(f"  API peak RSS MB: {r['rss']:.0f}")
            print(f"  bare COPY of the same {r['rows']:,} rows, same indexes: {r['same_s']:.2f} s")
            print(f"  bare COPY of the same rows, no indexes: {r['plain_s']:.2f} s")
            print(f"  ratio to bare COPY (same indexes): {r['seconds'] / r['same_s']:.2f}x")
            print(f"  ratio to bare COPY (no indexes): {r['seconds'] / r['plain_s']:.2f}x")
        json_figures = None
        if args.json_numbers:
            json_path = Path(tmp) / "campaign.json"
            make_json(json_path, args.json_numbers)
            json_figures = upload(url, args.port, key, json_path, "application/json", {})
            json_figures = (*json_figures[:2], json_path.stat().st_size / 1e6)
    devservices.drop_database(server_url, db)

    if json_figures is not None:
        json_s, json_rss, json_mb = json_figures
        print(
            f"\nJSON body of {args.json_numbers:,} numbers ({json_mb:.0f} MB): {json_s:.2f} s, "
            f"API peak RSS {json_rss:.0f} MB (read in two streaming passes, never whole)"
        )
    peak = max(r["rss"] for r in results)
    worst = max(r["seconds"] / r["same_s"] for r in results)
    print(f"\npeak API RSS over the CSV sizes: {peak:.0f} MB (target <= 200 MB for each)")
    print(f"worst ratio to bare COPY: {worst:.2f}x (target <= 2.7x)")
    ok = peak <= 200 and worst <= 2.7
    print(f"targets: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
