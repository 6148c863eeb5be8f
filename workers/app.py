"""The Celery app: config, queues, beat schedule.  Engines, pools and clients are made
per worker process after fork (``runtime()``), never at import time."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    worker_init,
    worker_process_init,
    worker_ready,
)
from kombu import Queue  # type: ignore[attr-defined]

from dispatcher.logs import formatter, use_json_logs
from dispatcher.settings import get_settings
from workers import kombu_fix, metrics
from workers.constants import BEAT_QUEUE, CALLBACK_QUEUE, SEND_QUEUE, Task


def _beat_schedule_file() -> Path:
    """``$XDG_STATE_HOME/pregonero/celerybeat-schedule`` (~/.local/state by default)."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    try:
        (state / "pregonero").mkdir(parents=True, exist_ok=True)
        return state / "pregonero" / "celerybeat-schedule"
    except OSError:  # no writable home (a container's user): this user's own temp name
        return Path(tempfile.gettempdir()) / f"pregonero-{os.getuid()}-celerybeat-schedule"


settings = get_settings()
if settings.log_format == "json":
    # Before Celery sets logging up: it keeps a root logger that has a handler, so every
    # line (Python's warnings too) is one JSON object from the first.
    use_json_logs()
# Before anything imports prometheus_client: where the pool processes write their figures.
METRICS_DIR = metrics.prepare(settings)
app = Celery("pregonero", include=["workers.tasks", "workers.control"])

RETENTION_EVERY_S = 24 * 3600.0
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
    # Beat's own state (when each task last ran) lives in the user's state directory, not
    # in the working tree or a /tmp path every install on the host would share; losing it
    # only makes the balance poll run once at start.  --schedule overrides it.
    beat_schedule_filename=str(_beat_schedule_file()),
    # Several beats may run (one on standby): only the lease holder schedules.
    beat_scheduler="workers.leader:LeaderScheduler",
    beat_schedule={
        # Beat's periodic tasks: the provider's balance, each BALANCE_POLL_S.  The rest
        # of the housekeeping runs in beat's process without a task per tick
        # (workers/housekeeper.py), so Flower's list shows the sends.
        "poll-balance": {"task": Task.POLL_BALANCE, "schedule": settings.balance_poll_s},
        # Retention once a day: the recipients of campaigns past RETENTION_DAYS go.
        "retention": {"task": Task.RETENTION, "schedule": RETENTION_EVERY_S},
    },
)


@worker_init.connect
@beat_init.connect
def _refuse_to_start(**_: object) -> None:
    """No worker or beat starts without the provider's credentials (it would show
    campaigns running while every request is refused), or on a database that is not
    there or not at this version's schema: one line, and a non-zero exit."""
    from dispatcher.accounts import require_credentials
    from dispatcher.errors import ConfigError
    from dispatcher.store.migrate import schema_problem

    try:
        require_credentials(get_settings())
        if problem := schema_problem(settings.database_url):
            raise problem
    except ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None


@worker_ready.connect
def _announce_worker(**_: object) -> None:
    """The worker runs, with these accounts (docs/architecture.md, "Interfaces")."""
    from dispatcher.engine import presence

    presence.start(settings, "worker")


@beat_init.connect
def _start_housekeeper(**_: object) -> None:
    from dispatcher.engine import presence
    from workers import housekeeper

    housekeeper.start()
    presence.start(settings, "beat")


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


kombu_fix.apply()
