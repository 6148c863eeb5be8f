"""Personalised messages: what templates cost at intake and in the engine, in one run.

Intake: a CSV of ``--numbers`` rows and 3 columns (celular, nombre, ciudad with 10
distinct values) uploaded to a fresh API process three times: with a plain message, with
``{{ciudad}}`` (10 texts), and with ``{{nombre}}`` (one text per number).  Seconds, the
API's peak RSS, and the plan's texts and requests.

Engine: with the interval at 0 and the simulator on loopback (real Postgres, Redis,
Celery workers and beat), ``--engine-numbers`` recipients with one text, then as many
with 10 texts (1,000-number blocks of one text each); recipients/s of each, and the ratio.

    .venv/bin/python ops/bench/personalise.py [--numbers 1000000] [--engine-numbers 200000]

Targets on this 2-core machine: ``{{ciudad}}`` intake at most 1.5x the plain upload with
peak RSS at most 250 MB; ``{{nombre}}`` at most 300 MB, its plan saying one request per
number; the engine with 10 texts within the machine's spread of one text (0.85x or more).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from intake import upload  # ops/bench/, the script's own folder
from procs import flat_out_stack

from dispatcher.dev import services as devservices
from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.store.apikeys import create_key
from dispatcher.store.db import make_engine
from dispatcher.store.migrate import upgrade

CITIES = ["Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena", "Cúcuta", "Bucaramanga",
          "Pereira", "Santa Marta", "Ibagué"]  # fmt: skip
NAMES = ["Ana", "Luis", "María", "Jorge", "Sofía", "Andrés", "Camila", "Juan", "Valentina"]


def make_csv(path: Path, total: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    with path.open("w") as f:
        f.write("celular,nombre,ciudad\n")
        for i in range(total):
            f.write(f"31{i:08d},{rng.choice(NAMES)} {i},{rng.choice(CITIES)}\n")


def intake_figures(numbers: int, port: int) -> list[tuple[str, float, float, dict[str, Any]]]:
    server_url, origin = devservices.postgres_server_url()
    print(f"postgres: {origin}")
    db = f"pregonero_bench_{os.getpid()}"
    url = devservices.create_database(server_url, db)
    upgrade(url)
    engine = make_engine(url, pool_size=1)
    key = create_key(engine, "bench")
    engine.dispose()
    out = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "people.csv"
            make_csv(path, numbers)
            print(f"CSV: {numbers:,} rows x 3 columns, {path.stat().st_size / 1e6:.0f} MB")
            for label, message in (
                ("plain message", "Hola, hay ofertas esta semana"),
                ("{{ciudad}}: 10 texts", "Hola, hay ofertas en {{ciudad}} esta semana"),
                ("{{nombre}}: a text per number", "Hola {{nombre}}, hay ofertas esta semana"),
            ):
                params = {"name": label, "message": message}
                seconds, rss, body = upload(url, port, key, path, "text/csv", params)
                out.append((label, seconds, rss, body))
                plan = body["plan"]
                print(
                    f"  {label}: {seconds:.2f} s, {numbers / seconds:,.0f} rows/s, API peak RSS "
                    f"{rss:.0f} MB; plan: {plan['texts']:,} texts, {plan['requests']:,} requests"
                )
                with devservices_connect(url) as conn:  # the next upload starts level
                    conn.execute("DELETE FROM recipient")
                    conn.execute("DELETE FROM campaign_text")
                    conn.execute("VACUUM recipient")
    finally:
        devservices.drop_database(server_url, db)
    return out


def devservices_connect(url: str) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(conninfo, autocommit=True)


def engine_rate(stack: Stack, numbers: int, start: int, texts: int) -> float:
    recipients: list[Any] = [
        {"number": f"573{start + i:09d}", "fields": {"ciudad": CITIES[i % texts]}}
        for i in range(numbers)
    ]
    message = "Hola, hay ofertas en {{ciudad}}" if texts > 1 else "Hola, hay ofertas"
    if texts == 1:
        recipients = [r["number"] for r in recipients]
    started = time.perf_counter()
    cid = stack.submit(recipients, name=f"{texts} texts", message=message)
    wait_until(lambda: stack.campaign_status(cid) == "completed", 900, "completion", 0.05)
    seconds = time.perf_counter() - started
    assert stack.statuses(cid) == {"accepted": numbers}, stack.statuses(cid)
    return numbers / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--engine-numbers", type=int, default=200_000)
    parser.add_argument("--port", type=int, default=18766)
    args = parser.parse_args()

    print("intake")
    figures = intake_figures(args.numbers, args.port)
    (_l, plain_s, _r, _b), (_l2, city_s, city_rss, _b2), (_l3, _s3, name_rss, name_body) = figures
    ratio = city_s / plain_s
    print(f"  {{{{ciudad}}}} / plain: {ratio:.2f}x (target <= 1.5x)")
    print(f"  {{{{ciudad}}}} API peak RSS: {city_rss:.0f} MB (target <= 250 MB)")
    print(f"  {{{{nombre}}}} API peak RSS: {name_rss:.0f} MB (target <= 300 MB)")
    one_each = name_body["plan"]["requests"] == name_body["counts"]["sendable"]
    requests = name_body["plan"]["requests"]
    print(f"  {{{{nombre}}}} plan: {requests:,} requests, one per number: {one_each}")

    print("\nengine (interval 0, simulator on loopback)")
    stack, origin = flat_out_stack(4)
    try:
        for i in range(2):
            stack.start_worker(f"bench{i}", concurrency=2, loglevel="WARNING")
        stack.start_beat()
        time.sleep(3)
        one = engine_rate(stack, args.engine_numbers, 0, 1)
        ten = engine_rate(stack, args.engine_numbers, args.engine_numbers, 10)
    finally:
        stack.stop()
    print(f"  redis: {origin}")
    print(f"  one text: {one:,.0f} recipients/s")
    print(f"  10 texts, blocks of one text: {ten:,.0f} recipients/s")
    print(f"  ratio: {ten / one:.2f}x (target >= 0.85x)")
    ok = ratio <= 1.5 and city_rss <= 250 and name_rss <= 300 and one_each and ten / one >= 0.85
    print(f"targets: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
