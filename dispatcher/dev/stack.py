"""A whole Pregonero on one machine, for the demo, the end-to-end tests and the benchmarks:
a fresh database, a Redis of its own, the simulator, Celery worker processes and beat —
started (and, in tests, killed) like real ones.  It spawns ``celery`` as a program; the
core still never imports Celery."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, text

from dispatcher import intake
from dispatcher.dev import services
from dispatcher.dev.services import listening_port, quiet_port, wait_until
from dispatcher.domain.message import Method
from dispatcher.domain.status import CampaignStatus
from dispatcher.intake.sources import json_recipients
from dispatcher.provider.simserver import SimulatorServer
from dispatcher.provider.simulator import DEMO_PASSWORD, DEMO_TOKEN, DEMO_USER, SimConfig
from dispatcher.settings import Settings, load_settings
from dispatcher.store import reads
from dispatcher.store.apikeys import create_key
from dispatcher.store.db import make_engine
from dispatcher.store.migrate import upgrade

BIN = Path(sys.executable).parent
FEED_DEPTH = 3
# Flower's task list with the arguments: a send reads as its campaign and block.
FLOWER_COLUMNS = "name,state,args,result,started,runtime,worker"


def submit_numbers(
    engine: Engine, settings: Settings, tenant_id: int, numbers: list[Any], **spec: Any
) -> int:
    """Intake of a list of numbers, as the API does it, for drills and tests."""
    spec.setdefault("name", "drill")
    spec.setdefault("message", "hola")
    if "method" in spec:
        spec["method"] = Method(spec["method"])
    return intake.submit(
        engine,
        settings,
        tenant_id,
        intake.CampaignSpec(**spec),
        json_recipients(numbers),
        request_hash=uuid.uuid4().hex,
    ).campaign_id


@dataclass
class PrivateRedis:
    """A Redis of our own that a test may restart (losing everything, like the real one)."""

    port: int = field(default_factory=quiet_port)  # Redis cannot be given port 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                services.redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: services.port_open("127.0.0.1", self.port), 10, "redis")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


def _settings_of(env: dict[str, str]) -> Settings:
    """The settings the stack's processes read (ACCOUNTS and all), for intake here."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return load_settings()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class Exited:
    """A process of the stack that died, with where to read why."""

    name: str
    returncode: int | None
    log: Path
    last_lines: list[str]

    def __str__(self) -> str:
        tail = "\n    ".join(self.last_lines) or "(its log is empty)"
        return f"{self.name} exited with code {self.returncode}; log {self.log}:\n    {tail}"


@dataclass
class Stack:
    pg_server_url: str
    block_interval_s: float = 0.2
    sim_config: SimConfig = field(default_factory=lambda: SimConfig(enforce_window=False))
    extra_env: dict[str, str] = field(default_factory=dict)
    tenant: str = ""  # the tenant it makes (with a key: tenant_key); "" for e2e-<random>
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    beat: subprocess.Popen[bytes] | None = None
    others: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)  # by worker
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pregonero-stack-")))

    def __post_init__(self) -> None:
        self.db_name = f"pregonero_e2e_{uuid.uuid4().hex[:8]}"
        self.db_url = services.create_database(self.pg_server_url, self.db_name)
        upgrade(self.db_url)
        self.engine: Engine = make_engine(self.db_url, pool_size=2)
        self.redis = PrivateRedis()
        self.redis.start()
        self.sim = SimulatorServer(config=self.sim_config).start()
        # The sweeper must not re-publish what only waits its turn in the broker (the
        # settings refuse a shorter delay), yet a drill wants lost messages back soon.
        queue_wait_s = FEED_DEPTH * (self.block_interval_s + 0.05)
        self.settings_env = {
            "PREGONERO_DATABASE_URL": self.db_url,
            "PREGONERO_REDIS_URL": self.redis.url,
            "PREGONERO_BROKER_URL": self.redis.url,
            "PREGONERO_PROVIDER_SEND_URL": self.sim.send_url,
            "PREGONERO_PROVIDER_BALANCE_URL": self.sim.balance_url,
            "PREGONERO_PROVIDER_USER": DEMO_USER,
            "PREGONERO_PROVIDER_TOKEN": DEMO_TOKEN,
            "PREGONERO_PROVIDER_PASSWORD": DEMO_PASSWORD,
            "PREGONERO_BLOCK_INTERVAL_S": f"{self.block_interval_s:g}",
            "PREGONERO_SEND_WINDOW": "00:00-24:00",
            "PREGONERO_PROVIDER_CONNECT_TIMEOUT_S": "1",
            # Short, so drills of lost workers are quick; not so short that a block answered
            # by the simulator on a busy machine (the suite runs in parallel) times out.
            "PREGONERO_PROVIDER_READ_TIMEOUT_S": "2",
            "PREGONERO_SWEEP_AFTER_S": f"{max(4.0, 2 * queue_wait_s + 1):g}",
            "PREGONERO_BALANCE_POLL_S": "2",
            "PREGONERO_CALLBACK_ALLOW_PRIVATE": "true",  # receivers on this host
            **self.extra_env,
        }
        self.env = {**os.environ, **self.settings_env}
        self.settings = _settings_of(self.settings_env)  # what intake here needs
        name = self.tenant or f"e2e-{uuid.uuid4().hex[:6]}"
        self.tenant_key = create_key(self.engine, name, "the stack's tenant")
        self.tenant_id = reads.tenant_id(self.engine, name)

    # -- processes ------------------------------------------------------------------------
    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(
            argv,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )

    def start_worker(
        self,
        name: str,
        concurrency: int = 1,
        loglevel: str = "INFO",
        pool: str = "prefork",
        env: dict[str, str] | None = None,
        metrics: bool = False,
    ) -> None:
        """A worker; ``pool="threads"`` with enough threads keeps accounts apart (the
        runbook's sizing rule: accounts x FEED_DEPTH + 2).  ``env``: settings of this
        worker only.  ``metrics``: it serves /metrics on a port the system picks, found
        in ``metrics_ports``."""
        if metrics:
            env = {**(env or {}), "PREGONERO_WORKER_METRICS_PORT": "0"}
        self.workers[name] = self._spawn(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "workers",
                *self._quiet(),
                "worker",
                "--pool",
                pool,
                "-c",
                str(concurrency),
                "-n",
                f"{name}@%h",
                "--loglevel",
                loglevel,
                "--without-mingle",
                "--without-gossip",
            ],
            env,
        )
        if metrics:
            self.metrics_ports[name] = listening_port(self.workers[name], f"worker {name}", 60)

    def kill_worker(self, name: str) -> None:
        """kill -9 of the worker and its pool children: what a crashed host looks like."""
        proc = self.workers.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def _beat(self, name: str) -> subprocess.Popen[bytes]:
        argv = [str(BIN / "celery"), "-A", "workers", *self._quiet(), "beat"]
        schedule = self.logs / ("beat-schedule" if name == "beat" else f"{name}-schedule")
        return self._spawn(name, [*argv, "--loglevel", "INFO", "--schedule", str(schedule)])

    def start_beat(self) -> None:
        self.beat = self._beat("beat")

    def start_standby_beat(self, name: str = "beat2") -> subprocess.Popen[bytes]:
        """A second beat, as on another host: it waits on standby while the first holds
        the lease, and takes over when it dies."""
        proc = self.others[name] = self._beat(name)
        return proc

    def _quiet(self) -> list[str]:
        """With JSON logs, no start banner (plain text) from worker or beat: ``celery -q``."""
        return ["--quiet"] if self.settings_env.get("PREGONERO_LOG_FORMAT") == "json" else []

    def start_api(self, workers: int = 1) -> str:
        """The API on a port the system picks; its base URL once it listens."""
        argv = [str(BIN / "pregonero"), "api", "--port", "0", "--workers", str(workers)]
        self.others["api"] = self._spawn("api", argv)
        return f"http://127.0.0.1:{listening_port(self.others['api'], 'the API', 60)}"

    def start_flower(self, basic_auth: str) -> str:
        """Flower on a port the system picks; its base URL once it listens."""
        self.others["flower"] = self._spawn(
            "flower",
            [
                str(BIN / "celery"),
                "-A",
                "workers",
                "flower",
                "--address=127.0.0.1",
                "--port=0",
                f"--basic-auth={basic_auth}",
                "--max-tasks=50000",
                f"--tasks-columns={FLOWER_COLUMNS}",
            ],
        )
        return f"http://127.0.0.1:{listening_port(self.others['flower'], 'Flower', 60)}"

    def _processes(self) -> dict[str, subprocess.Popen[bytes]]:
        beat = {"beat": self.beat} if self.beat else {}
        return {**self.workers, **beat, **self.others}

    def exited(self) -> list[Exited]:
        """The processes that died, with the end of their logs."""
        out = []
        for name, proc in self._processes().items():
            if proc.poll() is not None:
                log = self.logs / f"{name}.log"
                lines = log.read_text(errors="replace").splitlines() if log.exists() else []
                out.append(Exited(name, proc.returncode, log, lines[-12:]))
        return out

    def stop(self, keep_database: bool = False) -> None:
        """Stop every process it started (SIGTERM, then SIGKILL after a few seconds),
        the simulator and Redis; drop the database unless asked to keep it."""
        processes = list(self._processes().values())
        for proc in processes:  # the main process: it stops its own children, as in production
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 8
        for proc in processes:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
            with contextlib.suppress(ProcessLookupError):  # pool children left behind
                os.killpg(proc.pid, signal.SIGKILL)
        self.workers.clear()
        self.others.clear()
        self.beat = None
        self.sim.stop()
        self.redis.stop()
        self.engine.dispose()
        if not keep_database:
            services.drop_database(self.pg_server_url, self.db_name)

    # -- data -------------------------------------------------------------------------------
    def submit(self, numbers: list[Any], tenant_id: int | None = None, **spec: Any) -> int:
        tenant = self.tenant_id if tenant_id is None else tenant_id
        return submit_numbers(self.engine, self.settings, tenant, numbers, **spec)

    def q(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def campaign_status(self, campaign_id: int) -> CampaignStatus:
        return CampaignStatus(
            self.q("SELECT status FROM campaign WHERE id = :c", c=campaign_id)[0][0]
        )

    def statuses(self, campaign_id: int) -> dict[str, int]:
        return {
            s: n
            for s, n in self.q(
                "SELECT status, count(*) FROM recipient WHERE campaign_id = :c GROUP BY 1",
                c=campaign_id,
            )
        }

    def wait_completed(self, campaign_id: int, timeout_s: float) -> None:
        wait_until(
            lambda: self.campaign_status(campaign_id) is CampaignStatus.COMPLETED,
            timeout_s,
            f"campaign {campaign_id} to complete",
        )

    def chore_runs(self, chore: str) -> int:
        """How many times beat's housekeeper has run ``chore`` (``feed``, ``sweep``...)."""
        from dispatcher.engine.housekeeping import HOUSEKEEPING_KEY

        return int(self.redis_client().hget(HOUSEKEEPING_KEY, chore) or 0)

    def wait_for_chore(self, chore: str, more: int, timeout_s: float = 60) -> None:
        """Wait until beat's housekeeper runs ``chore`` ``more`` times from now."""
        target = self.chore_runs(chore) + more
        wait_until(lambda: self.chore_runs(chore) >= target, timeout_s, f"{more} {chore} runs")

    def request_starts(self) -> list[float]:
        return sorted(r.started_at for r in self.sim.sim.records)

    def redis_client(self) -> redis.Redis[bytes]:
        return redis.Redis.from_url(self.redis.url)
