"""The workers' sending figures for Prometheus.

Each worker host serves one ``/metrics`` (``PREGONERO_WORKER_METRICS_PORT``) from the
worker's main process, adding up every pool process through prometheus_client's
multiprocess mode: the pool processes write their counters and histograms to files in
``PROMETHEUS_MULTIPROC_DIR`` and the main process reads them all at scrape time.  Run
several workers on one host with a port each; Prometheus scrapes every ``host:port``.

prometheus_client picks its storage when it is first imported, so ``prepare`` sets the
directory before anything imports it (``workers.app`` calls it at import), and the
metrics themselves are made in the pool processes, after the fork (``observer``).

Labels stay bounded: the account, the block's verdict, each number's outcome and the
provider's code (its known codes; a positive code, which is a reference, is
``accepted``).  Never a campaign, a number or a text.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from dispatcher.domain.codes import known
from dispatcher.domain.plan import BlockPlan

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from dispatcher.settings import Settings

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def prepare(settings: Settings) -> Path | None:
    """With a metrics port: the directory the pool processes write to, set in the
    environment before prometheus_client is imported; None when metrics are off."""
    if settings.worker_metrics_port is None:
        return None
    given = os.environ.get(MULTIPROC_DIR)
    directory = (
        Path(given) if given else Path(tempfile.gettempdir()) / f"pregonero-metrics-{os.getpid()}"
    )
    os.environ[MULTIPROC_DIR] = str(directory)
    return directory


def serve(settings: Settings, directory: Path) -> None:
    """In the worker's main process, before the pool starts: the directory without the
    figures of an earlier run (they are not this one's; only prometheus_client's own
    ``*.db`` files go, whatever else a given directory holds) and the HTTP server."""
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("*.db"):
        leftover.unlink(missing_ok=True)
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server, values

    # Celery's command line may have imported prometheus_client before ``prepare`` ran
    # (its storage then is per process): choose again, now that the directory is set.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    port = settings.worker_metrics_port
    assert port is not None
    try:
        server, _thread = start_http_server(
            port, addr=settings.worker_metrics_host, registry=registry
        )
    except OSError as exc:
        raise SystemExit(
            f"error: PREGONERO_WORKER_METRICS_PORT={port} on "
            f"{settings.worker_metrics_host}: {exc.strerror or exc}; each worker on a host "
            "needs a port of its own"
        ) from None
    log.info(
        "worker metrics on http://%s:%d/metrics",
        settings.worker_metrics_host,
        server.server_address[1],
    )


def code_label(code: int | None) -> str:
    """The provider's code as a bounded label."""
    if code is None:
        return "none"
    if code > 0:
        return "accepted"
    return str(code) if known(code) is not None else "other"


class PrometheusObserver:
    """``engine.ports.Observer`` writing the sending figures."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.blocks = Counter(
            "pregonero_blocks_total",
            "Blocks recorded, by what became of them (done, uncertain, retry: never sent, "
            "defer, pause, fail, split)",
            ["account", "outcome"],
        )
        self.recipients = Counter(
            "pregonero_recipients_sent_total",
            "Numbers whose outcome a block recorded, by outcome and provider code",
            ["account", "outcome", "code"],
        )
        self.latency = Histogram(
            "pregonero_provider_request_seconds",
            "From the claim to the provider's answer (or the failure)",
            ["account"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80),
        )
        self.slot_wait = Histogram(
            "pregonero_limiter_wait_seconds",
            "Time a send waited for its in-flight place and start slot",
            ["account"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 4, 8, 16, 32, 64, 128),
        )

    def waited_for_slot(self, account: str, seconds: float) -> None:
        self.slot_wait.labels(account).observe(seconds)

    def provider_answered(self, account: str, seconds: float) -> None:
        self.latency.labels(account).observe(seconds)

    def block_recorded(self, account: str, plan: BlockPlan) -> None:
        self.blocks.labels(account, plan.verdict.value).inc()
        counts: dict[tuple[str, str], int] = {}
        for settled in plan.settle:
            key = (settled.status.value, code_label(settled.code))
            counts[key] = counts.get(key, 0) + 1
        for (outcome, code), n in counts.items():
            self.recipients.labels(account, outcome, code).inc(n)
