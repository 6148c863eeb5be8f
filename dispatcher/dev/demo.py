"""``pregonero demo``: the whole system on this machine, end to end, in about a minute.

Postgres (the local one, or an embedded one when none answers), a Redis of its own,
the provider simulator, two Celery workers and beat, and the HTTP API.  It submits a
campaign over the API as a backend system would, shows its progress, and prints what
the simulator saw: every number once, never closer than the interval."""

from __future__ import annotations

import random
import subprocess
import time
from itertools import pairwise
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from dispatcher.dev import services
from dispatcher.dev.services import free_port, wait_until
from dispatcher.dev.stack import BIN, Stack
from dispatcher.domain.status import CAMPAIGN_FINAL, RecipientStatus
from dispatcher.store.apikeys import create_key

console = Console()


def _csv(count: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    numbers = [f"{n:07d}" for n in rng.sample(range(10_000_000), count)]
    rows = [f"+57 310 {n[:3]} {n[3:]}" if i % 3 else f"310{n}" for i, n in enumerate(numbers)]
    rows += ["N/A", "12345", "+57 601 234 5678"]  # refused at intake, with reasons
    rows += rows[:5]  # duplicates collapse
    return ("celular\n" + "\n".join(rows) + "\n").encode()


def run(numbers: int, interval_s: float, keep: bool) -> None:
    server, origin = services.postgres_server_url()
    console.print(
        f"Postgres: {origin}.  Starting Redis, the simulator, 2 workers, beat and the API…"
    )
    stack = Stack(server, block_interval_s=interval_s)
    api = None
    try:
        stack.start_worker("demo1")
        stack.start_worker("demo2")
        stack.start_beat()
        port = free_port()
        api = subprocess.Popen(
            [str(BIN / "pregonero"), "api", "--port", str(port)],
            env=stack.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _ready(base), 30, "the API")
        key = create_key(stack.engine, "demo", "pregonero demo")
        auth = {"Authorization": f"Bearer {key}"}
        created = httpx.post(
            f"{base}/v1/campaigns",
            params={"name": "Demo", "message": "Hola desde Pregonero"},
            content=_csv(numbers),
            headers={**auth, "Content-Type": "text/csv"},
            timeout=60,
        ).json()
        c = created["counts"]
        console.print(
            f"Submitted campaign {created['id']}: {c['sendable']:,} to send in {created['chunks']} "
            f"blocks; {c['invalid']} invalid, {c['duplicate']} duplicate.  "
            f"Estimated {created['estimated_duration_s']:.0f} s at one block every {interval_s} s."
        )
        for sample in created["invalid_sample"][:5]:
            console.print(f"  line {sample['line']}: {sample['value']!r} — {sample['detail']}")
        detail = _follow(base, auth, created["id"], c["sendable"])
        _report(stack, detail, interval_s)
        if keep:
            console.print(
                f"\nStill running.  API {base}/docs  (key: {key})\n"
                f"Simulator control {stack.sim.base_url}/_sim/state\n"
                f"Database {stack.db_url}\nPress Ctrl-C to stop."
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if api is not None:
            api.terminate()
            api.wait(10)
        stack.stop()


def _ready(base: str) -> bool:
    try:
        return httpx.get(base + "/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _follow(base: str, auth: dict[str, str], campaign_id: int, total: int) -> dict[str, Any]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} {task.fields[status]}"),
    ) as bar:
        task = bar.add_task("sending", total=total, status="")
        while True:
            detail = httpx.get(f"{base}/v1/campaigns/{campaign_id}", headers=auth).json()
            pending = detail["counts"]["by_status"][RecipientStatus.PENDING]
            bar.update(task, completed=total - pending, status=detail["status"])
            if detail["status"] in CAMPAIGN_FINAL:
                return dict(detail)
            time.sleep(0.5)


def _report(stack: Stack, detail: dict[str, Any], interval_s: float) -> None:
    starts = stack.request_starts()
    gaps = [b - a for a, b in pairwise(starts)]
    duplicates = stack.sim.sim.duplicates()
    counts = detail["counts"]
    outcome = {k: v for k, v in counts["by_status"].items() if v}
    console.print(f"Campaign {detail['status']}: {outcome}")
    console.print(
        f"The simulator saw {len(starts)} requests; closest two started "
        f"{min(gaps) if gaps else 0:.2f} s apart (interval {interval_s} s); "
        f"numbers accepted twice: {len(duplicates)}."
    )
