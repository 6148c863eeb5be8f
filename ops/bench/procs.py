"""What the benchmarks share about the processes they measure."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from dispatcher.dev import services as devservices
from dispatcher.dev.stack import Stack


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def answers(url: str) -> bool:
    """The URL answers 200 (the API's /healthz or /readyz)."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the API process exited")
        if answers(url + "/healthz"):
            return
        time.sleep(0.2)
    raise SystemExit("the API did not start")


def cpu_by_kind(kinds: dict[str, Callable[[str], bool]]) -> dict[str, float]:
    """CPU seconds (user and system) used so far by every live process, summed by kind:
    the first kind whose test accepts the process's command line; "other" otherwise."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        kind = next((name for name, test in kinds.items() if test(cmdline)), "other")
        totals[kind] = totals.get(kind, 0.0) + seconds
    return totals


def flat_out_stack(in_flight: int) -> tuple[Stack, str]:
    """A stack sending as fast as it can: interval 0, no slot margin, ``in_flight``
    requests at once and room in the broker for two rounds of them; and where its
    Postgres came from."""
    server, origin = devservices.postgres_server_url()
    stack = Stack(
        server,
        block_interval_s=0.0,
        extra_env={
            "PREGONERO_SLOT_MARGIN_S": "0",
            "PREGONERO_MAX_IN_FLIGHT": str(in_flight),
            "PREGONERO_FEED_DEPTH": str(2 * in_flight + 2),
        },
    )
    return stack, origin
