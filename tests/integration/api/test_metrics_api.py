"""/metrics: the state an operator alerts on, read at scrape time from counters and the
unsent chunks; a series for every configured account, zero included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, update

from dispatcher.store.tables import Campaign, ProviderAccount
from tests.builders import a_tenant

pytestmark = pytest.mark.integration


def samples(api: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = api.get("/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_state_figures_for_alerts(api: TestClient, engine: Engine) -> None:
    tenant = a_tenant(engine)
    numbers = [f"31021{i:05d}" for i in range(2500)]
    body = {"name": "c", "message": "hola", "recipients": numbers}
    assert api.post("/v1/campaigns", json=body, headers=tenant.auth).status_code == 201
    before = samples(api)
    assert before[("pregonero_chunks", (("account", "default"), ("status", "ready")))] == 3
    assert before[("pregonero_chunks", (("account", "default"), ("status", "queued")))] == 0
    assert before[("pregonero_account_paused", (("account", "default"),))] == 0
    assert not any(name == "pregonero_account_paused_seconds" for name, _l in before)
    waiting = (("status", "scheduled"), ("waiting_reason", ""))
    assert before[("pregonero_campaigns", waiting)] >= 1
    assert before[("pregonero_account_block_interval_seconds", (("account", "default"),))] > 0
    assert (
        "pregonero_account_window_open",
        (("account", "default"), ("purpose", "commercial")),
    ) in before

    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    with engine.begin() as conn:
        conn.execute(
            update(ProviderAccount).values(
                paused=True,
                pause_reason="balance",
                paused_at=ten_minutes_ago,
                last_balance=Decimal(42),
                checked_at=ten_minutes_ago,
            )
        )
        conn.execute(update(Campaign).values(n_uncertain=7))
    after = samples(api)
    assert after[("pregonero_account_paused", (("account", "default"),))] == 1
    paused_for = after[
        ("pregonero_account_paused_seconds", (("account", "default"), ("reason", "balance")))
    ]
    assert 590 < paused_for < 700
    assert after[("pregonero_account_balance", (("account", "default"),))] == 42
    assert 590 < after[("pregonero_account_balance_age_seconds", (("account", "default"),))] < 700
    assert after[("pregonero_recipients_uncertain", ())] >= 7
    oldest = after[("pregonero_oldest_ready_chunk_seconds", (("account", "default"),))]
    assert 0 <= oldest < 120  # cut a moment ago
