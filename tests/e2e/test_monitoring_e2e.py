"""A real Prometheus (Debian's package) scrapes the API and a worker every 0.5 s during a
campaign: the blocks' rate is the account's pace, the account-paused alert fires when the
simulator's balance runs out and resolves when it is refilled, every metric the rules and
the dashboard read is exposed, and every dashboard query runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from dispatcher.dev.services import listening_port, wait_until
from dispatcher.dev.stack import Stack
from tests.builders import Numbers

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
INTERVAL = 0.5


@pytest.fixture
def stack(pg_server_url: str) -> Iterator[Stack]:
    s = Stack(pg_server_url, block_interval_s=INTERVAL)
    yield s
    s.stop()


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Prometheus:
    def __init__(self, folder: Path, targets: dict[str, str]):
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.fail("prometheus is missing: apt-get install prometheus (.ci/run does it)")
        rules = yaml.safe_load((ROOT / "ops/prometheus/alerts.yml").read_text())
        for rule in rules["groups"][0]["rules"]:
            if rule["alert"] == "PregoneroAccountPaused":
                rule["for"] = "1s"  # the test's own: the shipped rule waits 5 minutes
        (folder / "alerts.yml").write_text(yaml.safe_dump(rules))
        config = {
            "global": {"scrape_interval": "500ms", "evaluation_interval": "500ms"},
            "rule_files": ["alerts.yml"],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": [target]}]}
                for job, target in targets.items()
            ],
        }
        (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = (folder / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                "--web.listen-address=127.0.0.1:0",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{listening_port(self.proc, 'prometheus')}"
        wait_until(lambda: _up(self.url + "/-/ready"), 30, "prometheus")

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = httpx.get(self.url + "/api/v1/query", params={"query": expr}, timeout=10).json()
        assert answer["status"] == "success", (expr, answer)
        return list(answer["data"]["result"])

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def firing(self, alert: str) -> list[dict[str, Any]]:
        alerts = httpx.get(self.url + "/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        return [a for a in alerts if a["labels"]["alertname"] == alert and a["state"] == "firing"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)
        self.log.close()


def test_prometheus_sees_the_pace_and_the_balance_pause(stack: Stack, tmp_path: Path) -> None:
    stack.sim.sim.configure({"balance": 14_000})  # 14 blocks, then -3
    stack.start_worker("w1", concurrency=2, metrics=True)
    stack.start_beat()
    api = stack.start_api()
    wait_until(lambda: _up(api + "/readyz"), 60, "the API")
    worker = f"127.0.0.1:{stack.metrics_ports['w1']}"
    wait_until(lambda: _up(f"http://{worker}/metrics"), 60, "the worker's metrics")
    prometheus = Prometheus(
        tmp_path,
        {"pregonero-api": api.removeprefix("http://"), "pregonero-workers": worker},
    )
    try:
        # Prometheus starts scraping a few seconds after it is ready (target discovery).
        wait_until(lambda: prometheus.value("sum(up)") == 2, 30, "both targets scraped", 0.25)
        cid = stack.submit(Numbers()(30_000))
        wait_until(
            lambda: (prometheus.value('sum(pregonero_blocks_total{outcome="done"})') or 0) >= 8,
            60,
            "eight blocks counted by Prometheus",
            0.25,
        )
        rates: list[float] = []

        def measured() -> bool:
            rate = prometheus.value('sum(rate(pregonero_blocks_total{outcome="done"}[4s]))')
            if rate is not None:
                rates.append(rate)
            return bool(rates)

        wait_until(measured, 10, "a rate", 0.25)
        rate = rates[-1]
        pace = prometheus.value("1 / max(pregonero_account_block_interval_seconds)")
        assert pace == pytest.approx(1 / INTERVAL)
        print(f"blocks/s {rate:.2f} against a pace of {pace}")
        assert 0.6 * pace <= rate <= 1.05 * pace, f"{rate:.2f} blocks/s against a pace of {pace}"

        wait_until(lambda: bool(prometheus.firing("PregoneroAccountPaused")), 60, "the alert")
        [alert] = prometheus.firing("PregoneroAccountPaused")
        assert alert["labels"]["account"] == "default"
        assert alert["labels"]["reason"] == "balance"
        assert "runbook.md#account-paused" in alert["annotations"]["runbook_url"]
        check_every_metric_used_is_exposed(api, worker)
        check_every_dashboard_query_runs(prometheus)

        stack.sim.sim.configure({"balance": 100_000})  # beat polls it and resumes
        wait_until(lambda: not prometheus.firing("PregoneroAccountPaused"), 60, "resolved")
        stack.wait_completed(cid, timeout_s=120)
        assert stack.statuses(cid) == {"accepted": 30_000}
        accepted = 'sum(pregonero_recipients_sent_total{outcome="accepted",code="accepted"})'
        # the last blocks reach Prometheus at its next scrape
        wait_until(lambda: prometheus.value(accepted) == 30_000, 30, "every number counted", 0.25)
    finally:
        prometheus.stop()


def check_every_metric_used_is_exposed(api: str, worker: str) -> None:
    exposed = httpx.get(api + "/metrics", timeout=10).text
    exposed += httpx.get(f"http://{worker}/metrics", timeout=10).text
    names = set(re.findall(r"^(pregonero_[a-z_]+)", exposed, re.MULTILINE))
    rules = (ROOT / "ops/prometheus/alerts.yml").read_text()
    board = json.loads((ROOT / "ops/grafana/pregonero.json").read_text())
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
    used = set(re.findall(r"pregonero_[a-z_]+", rules + exprs))
    assert used <= names, f"used but not exposed: {sorted(used - names)}"


def check_every_dashboard_query_runs(prometheus: Prometheus) -> None:
    board = json.loads((ROOT / "ops/grafana/pregonero.json").read_text())
    for panel in board["panels"]:
        for target in panel["targets"]:
            prometheus.query(target["expr"])  # a syntax or type error fails here


def test_json_logs_from_the_api_workers_and_beat(pg_server_url: str) -> None:
    """PREGONERO_LOG_FORMAT=json: every line each process writes is one JSON object; a
    send's lines name their campaign, chunk and account; no token anywhere."""
    stack = Stack(pg_server_url, block_interval_s=0.2, extra_env={"PREGONERO_LOG_FORMAT": "json"})
    try:
        stack.start_worker("w1")
        stack.start_beat()
        api = stack.start_api()
        wait_until(lambda: _up(api + "/readyz"), 60, "the API")
        cid = stack.submit(Numbers()(2_500))
        stack.wait_completed(cid, timeout_s=60)
        # the worker logs each block right after recording it: wait for the third line
        wait_until(
            lambda: (stack.logs / "w1.log").read_text().count('"block_recorded"') >= 3,
            30,
            "the third block's log line",
        )
    finally:
        stack.stop()
    token = stack.settings_env["PREGONERO_PROVIDER_TOKEN"]
    events = []
    for name in ("w1", "beat", "api"):
        lines = (stack.logs / f"{name}.log").read_text().splitlines()
        assert lines, name
        for line in lines:
            assert token not in line
            if not line.strip() or line.startswith("worker: Warm shutdown"):
                continue  # Celery prints its shutdown notice to stdout, outside logging
            try:
                data = json.loads(line)
            except ValueError:
                pytest.fail(f"{name} wrote a line that is not JSON: {line[:200]!r}")
            assert {"time", "level", "logger", "event", "message"} <= set(data), line
            events.append(data)
    recorded = [e for e in events if e["event"] == "block_recorded"]
    assert len(recorded) == 3
    assert {(e["campaign_id"], e["account"]) for e in recorded} == {(cid, "default")}
    assert all(isinstance(e["chunk_id"], int) for e in recorded)
