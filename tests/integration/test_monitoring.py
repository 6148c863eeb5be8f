"""The alert rules, the Prometheus config, the dashboard and the monitoring profile,
checked by the real tools (Debian's prometheus package gives promtool)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "ops" / "prometheus"
DASHBOARD = ROOT / "ops" / "grafana" / "pregonero.json"


def promtool(*args: str) -> str:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is missing: apt-get install prometheus (.ci/run does it)")
    done = subprocess.run(
        [tool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_rules_are_valid_and_their_unit_tests_pass() -> None:
    assert "SUCCESS: 8 rules found" in promtool("check", "rules", "alerts.yml")
    assert "SUCCESS" in promtool("test", "rules", "alerts_test.yml")


def test_every_alert_has_a_unit_test_and_says_what_to_do() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"][0]["rules"]
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    tested = {case["alertname"] for t in tests for case in t["alert_rule_test"]}
    runbook = (ROOT / "ops" / "runbook.md").read_text()
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", runbook, re.MULTILINE)}
    for rule in rules:
        assert rule["alert"] in tested, f"{rule['alert']} has no unit test"
        notes = rule["annotations"]
        assert len(notes["description"]) > 80, rule["alert"]
        target = notes["runbook_url"].split("#", 1)
        assert target[0] == "ops/runbook.md" and target[1] in anchors, notes["runbook_url"]


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading."""
    return re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")


def test_the_prometheus_config_is_valid() -> None:
    promtool("check", "config", "prometheus.yml")


def test_the_dashboard_reads_what_exists() -> None:
    board = json.loads(DASHBOARD.read_text())
    assert board["uid"] == "pregonero"
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert exprs and all("pregonero_" in e for e in exprs)
    used = set(re.findall(r"pregonero_[a-z_]+", " ".join(exprs)))
    assert used <= exposed_names(), used - exposed_names()


def exposed_names() -> set[str]:
    """The names the code declares (API state families and worker metrics)."""
    text = (ROOT / "dispatcher" / "api" / "health.py").read_text()
    text += (ROOT / "workers" / "metrics.py").read_text()
    names = set(re.findall(r'"(pregonero_[a-z_]+)"', text))
    histograms = {"pregonero_provider_request_seconds", "pregonero_limiter_wait_seconds"}
    for name in histograms:
        names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def test_compose_monitoring_profile() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"], name
    assert "./ops/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    mounts = " ".join(services["grafana"]["volumes"])
    assert "ops/grafana/provisioning:/etc/grafana/provisioning" in mounts
    provider = yaml.safe_load(
        (ROOT / "ops/grafana/provisioning/dashboards/pregonero.yml").read_text()
    )["providers"][0]
    assert provider["options"]["path"] in mounts
    port = services["worker"]["environment"]["PREGONERO_WORKER_METRICS_PORT"]
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["pregonero-api"]["static_configs"][0]["targets"] == ["api:8000"]
    [workers] = jobs["pregonero-workers"]["dns_sd_configs"]  # every replica
    assert (workers["names"], workers["port"]) == (["worker"], int(port))
    assert config["rule_files"] == ["alerts.yml"]
