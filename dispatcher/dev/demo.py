"""``pregonero demo``: the whole system on this machine, end to end.

Postgres (the local one, or an embedded one when none answers), a Redis of its own
(broker and limiter), the provider simulator, two Celery workers, beat, Flower and the
HTTP API.  It submits a campaign over the API as a backend system would, shows its
progress at the provider's real pace (one block every 2 s; ``--speed`` for a quicker
look), and prints what the simulator saw: every number once, never closer than the
interval.  Ctrl-C or SIGTERM stops everything it started and drops its database."""

from __future__ import annotations

import random
import secrets
import shlex
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from types import FrameType
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from dispatcher.accounts import configured_accounts, worker_threads
from dispatcher.dev import services
from dispatcher.dev.services import StackTimeout, wait_until
from dispatcher.dev.stack import FEED_DEPTH, Stack
from dispatcher.domain.status import CAMPAIGN_FINAL, RecipientStatus, Role
from dispatcher.errors import PregoneroError
from dispatcher.redact import redact_url
from dispatcher.store.apikeys import create_key

DEMO_TENANT = "demo"  # the one tenant the demo makes; both keys it prints are its
REAL_INTERVAL_S = 2.0  # the provider's: one block of 1,000 numbers every 2 s
FLOWER_USER = "demo"

console = Console()


class DemoFailed(PregoneroError):
    """A process the demo started died, or did not become ready."""


class _Stopped(Exception):
    """SIGTERM: stop as Ctrl-C does."""


def _csv(count: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    numbers = [f"{n:07d}" for n in rng.sample(range(10_000_000), count)]
    rows = [f"+57 310 {n[:3]} {n[3:]}" if i % 3 else f"310{n}" for i, n in enumerate(numbers)]
    rows += ["N/A", "12345", "+57 601 234 5678"]  # refused at intake, with reasons
    rows += rows[:5]  # duplicates collapse
    return ("celular\n" + "\n".join(rows) + "\n").encode()


@contextmanager
def _sigterm_stops() -> Iterator[None]:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise _Stopped

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(numbers: int, speed: float, keep: bool) -> None:
    interval_s = REAL_INTERVAL_S / speed
    server, origin = services.postgres_server_url()
    pace = (
        f"one block every {interval_s:g} s ({speed:g}x the real pace of {REAL_INTERVAL_S:g} s)"
        if speed != 1
        else f"one block every {interval_s:g} s, the provider's real pace"
    )
    console.print(
        f"Postgres: {origin}.  Starting Redis, the simulator, 2 workers, beat, Flower and the "
        f"API; sending at {pace}…",
        highlight=False,
    )
    stack: Stack | None = None
    with _sigterm_stops():
        try:
            stack = Stack(server, block_interval_s=interval_s, tenant=DEMO_TENANT)
            _demo(stack, numbers, interval_s, keep)
        except (KeyboardInterrupt, _Stopped):
            console.print("\nStopping…")
        finally:
            if stack is not None:
                stack.stop(keep_database=keep)
                if keep:
                    console.print(f"Kept the database: {redact_url(stack.db_url)}", highlight=False)
                console.print("Stopped everything the demo started.")


def _demo(stack: Stack, numbers: int, interval_s: float, keep: bool) -> None:
    threads = worker_threads(len(configured_accounts(stack.settings)), FEED_DEPTH)
    stack.start_worker("worker1", concurrency=threads, pool="threads")
    stack.start_worker("worker2", concurrency=threads, pool="threads")
    stack.start_beat()
    flower_password = secrets.token_urlsafe(9)
    flower = stack.start_flower(f"{FLOWER_USER}:{flower_password}")
    base = stack.start_api()
    _wait(stack, lambda: _answers(base + "/readyz"), 60, "the API")
    _wait(stack, lambda: _answers(flower + "/healthcheck"), 60, "Flower")
    key = stack.tenant_key
    operator_key = create_key(stack.engine, DEMO_TENANT, "pregonero demo (operator)", Role.OPERATOR)
    auth = {"Authorization": f"Bearer {key}"}
    _print_access(stack, base, key, operator_key, flower, flower_password)
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
        f"blocks; {c['invalid']} invalid, {c['duplicate']} duplicate.  Estimated "
        f"{created['estimated_duration_s']:.0f} s at one block every {interval_s:g} s.",
        highlight=False,
    )
    for sample in created["invalid_sample"][:5]:
        console.print(f"  line {sample['line']}: {sample['value']!r} — {sample['detail']}")
    detail = _follow(stack, base, auth, created["id"], c["sendable"])
    _report(stack, detail, interval_s)
    _accounts(base, operator_key)
    if keep:
        console.print("\nStill running (Ctrl-C stops it all; the database is kept).")
        while True:
            _check(stack)
            time.sleep(1)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code in (200, 401)
    except httpx.HTTPError:
        return False


def _check(stack: Stack) -> None:
    """A process of ours died: say which, why (the end of its log) and where its log is."""
    if dead := stack.exited():
        raise DemoFailed("\n".join(str(d) for d in dead))


def _wait(stack: Stack, check: Any, timeout_s: float, what: str) -> None:
    def ready() -> bool:
        _check(stack)
        return bool(check())

    try:
        wait_until(ready, timeout_s, what)
    except StackTimeout as exc:
        raise DemoFailed(f"{exc}; the logs are in {stack.logs}") from None


def _print_access(
    stack: Stack, base: str, key: str, operator_key: str, flower: str, password: str
) -> None:
    console.print(f"\nAPI      {base}   (OpenAPI: {base}/docs)", highlight=False)
    console.print(f"Page     {base}/ui   (sign in with one of the keys below)", highlight=False)
    console.print(
        f"Tenant key ({DEMO_TENANT}: submits and steers its own campaigns; send it as "
        "'Authorization: Bearer <key>'):",
        highlight=False,
    )
    print(key, flush=True)
    console.print(
        "Operator key (every tenant's campaigns, the accounts' balance, pause and resume):"
    )
    print(operator_key, flush=True)
    console.print(f"Flower   {flower}   login {FLOWER_USER} / {password}", highlight=False)
    console.print(f"Logs     {stack.logs}", highlight=False)
    console.print(
        "To reach this demo from another terminal (`pregonero campaign list`, "
        "`celery -A workers sms status`):",
        highlight=False,
    )
    for name, value in stack.settings_env.items():
        print(f"export {name}={shlex.quote(value)}", flush=True)
    console.print(
        "(in a shell where the environment is active: `. .venv/bin/activate`, or `make shell`)\n"
        "Steer the account there: `celery -A workers sms status`, `pregonero account pause "
        "default`, `pregonero account resume default`.",
        highlight=False,
    )
    console.print()


def _follow(
    stack: Stack, base: str, auth: dict[str, str], campaign_id: int, total: int
) -> dict[str, Any]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} {task.fields[status]}"),
    ) as bar:
        task = bar.add_task("sending", total=total, status="")
        while True:
            _check(stack)
            detail: dict[str, Any] = httpx.get(
                f"{base}/v1/campaigns/{campaign_id}", headers=auth, timeout=10
            ).json()
            pending = detail["counts"]["by_status"][RecipientStatus.PENDING]
            bar.update(task, completed=total - pending, status=detail["status"])
            if detail["status"] in CAMPAIGN_FINAL:
                return detail
            time.sleep(0.5)


def _report(stack: Stack, detail: dict[str, Any], interval_s: float) -> None:
    starts = stack.request_starts()
    gaps = [b - a for a, b in pairwise(starts)]
    duplicates = stack.sim.sim.duplicates()
    outcome = {k: v for k, v in detail["counts"]["by_status"].items() if v}
    said = ", ".join(f"{n:,} {status}" for status, n in outcome.items())
    console.print(f"Campaign {detail['id']} {detail['status']}: {said}.", highlight=False)
    console.print(
        f"The simulator saw {len(starts)} requests; closest two started "
        f"{min(gaps) if gaps else 0:.2f} s apart (interval {interval_s:g} s); "
        f"numbers accepted twice: {len(duplicates)}.",
        highlight=False,
    )


def _accounts(base: str, operator_key: str) -> None:
    """The accounts as an operator sees them: state and balance (GET /v1/accounts)."""
    auth = {"Authorization": f"Bearer {operator_key}"}
    for a in httpx.get(f"{base}/v1/accounts", headers=auth, timeout=10).json():
        balance = a["last_balance"] if a["last_balance"] is not None else "not read yet"
        console.print(f"Account {a['name']}: {a['state']}; balance {balance}", highlight=False)
