"""The Celery app: config, queues, beat schedule.  Engines, pools and clients are made
per worker process after fork (``runtime()``), never at import time."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    worker_init,
    worker_process_init,
)
from kombu import Queue  # type: ignore[attr-defined]

from dispatcher.logs import formatter, use_json_logs
from dispatcher.settings import get_settings
from workers import metrics
from workers.constants import BEAT_QUEUE, CALLBACK_QUEUE, SEND_QUEUE, Task

settings = get_settings()
if settings.log_format == "json":
    # Before Celery sets logging up: it keeps a root logger that has a handler, so every
    # line (Python's warnings too) is one JSON object from the first.
    use_json_logs()
# Before anything imports prometheus_client: where the pool processes write their figures.
METRICS_DIR = metrics.prepare(settings)
app = Celery("pregonero", include=["workers.tasks", "workers.control"])

# The longest a send task can run: slot wait plus the longest request, plus margin.
TASK_TIME_LIMIT_S = int(settings.request_lease_s + 60 + 10 * settings.block_interval_s)

app.conf.update(
    broker_url=settings.effective_broker_url,
    broker_connection_retry_on_startup=True,
    # Redis redelivers an unacknowledged message after the visibility timeout: keep it
    # longer than any task so a slow task is not run twice (a duplicate would only be a
    # no-op claim anyway); lost messages come back sooner through the sweeper.
    broker_transport_options={"visibility_timeout": 4 * TASK_TIME_LIMIT_S},
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=TASK_TIME_LIMIT_S,
    task_soft_time_limit=TASK_TIME_LIMIT_S - 15,
    task_serializer="json",
    accept_content=["json"],
    task_default_queue=BEAT_QUEUE,
    task_routes={
        Task.SEND_CHUNK: {"queue": SEND_QUEUE},
        Task.CALLBACKS: {"queue": CALLBACK_QUEUE},
    },
    # A worker consumes all three unless told otherwise (-Q pregonero.send for send-only
    # ones); callbacks have their own so a slow receiver never holds up beat's tasks.
    task_queues=(Queue(SEND_QUEUE), Queue(BEAT_QUEUE), Queue(CALLBACK_QUEUE)),
    worker_send_task_events=True,
    task_send_sent_event=True,
    worker_hijack_root_logger=False,
    timezone="UTC",
    # Beat's own state (when each task last ran) lives outside the working tree; losing
    # it only makes every periodic task run once at start.  --schedule overrides it.
    beat_schedule_filename=str(Path(tempfile.gettempdir()) / "pregonero-celerybeat-schedule"),
    beat_schedule={
        # FEED_EVERY_S (half a second): a one-number campaign waits at most that long to
        # be published (each finished send also feeds at once).
        "feed": {"task": Task.FEED, "schedule": settings.feed_every_s},
        "release-due": {"task": Task.RELEASE_DUE, "schedule": 5.0},
        "sweep": {"task": Task.SWEEP, "schedule": max(1.0, settings.sweep_after_s / 4)},
        "reap": {"task": Task.REAP, "schedule": max(1.0, settings.request_lease_s / 4)},
        "finish": {"task": Task.FINISH, "schedule": 10.0},
        "expire": {"task": Task.EXPIRE, "schedule": 30.0},
        "callbacks": {"task": Task.CALLBACKS, "schedule": 5.0},
        "poll-balance": {"task": Task.POLL_BALANCE, "schedule": settings.balance_poll_s},
        "probe-maintenance": {"task": Task.PROBE_MAINTENANCE, "schedule": 30.0},
    },
)


@worker_init.connect
@beat_init.connect
def _refuse_without_credentials(**_: object) -> None:
    """No worker or beat starts without the provider's credentials: it would show
    campaigns running while every request is refused."""
    from dispatcher.accounts import require_credentials
    from dispatcher.errors import ConfigError

    try:
        require_credentials(get_settings())
    except ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None


@worker_init.connect
def _serve_metrics(**_: object) -> None:
    """One /metrics per worker, for all its pool processes (workers/metrics.py)."""
    if METRICS_DIR is not None:
        metrics.serve(settings, METRICS_DIR)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_format(logger: logging.Logger, **_: object) -> None:
    """PREGONERO_LOG_FORMAT=json: one JSON object a line from workers and beat too."""
    if settings.log_format == "json":
        chosen = formatter("json")
        for handler in logger.handlers:
            handler.setFormatter(chosen)


@worker_process_init.connect
def _init_process(**_: object) -> None:
    from workers.runtime import runtime

    runtime()
