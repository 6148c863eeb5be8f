"""Personalised campaigns through the engine (real Postgres, the simulator over HTTP, a
fake clock): each number gets its own text once, and Ley 2300's one a day, opt-outs,
pause and cancel hold as they do for one text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from dispatcher.api.app import create_app
from dispatcher.engine import steer
from tests.integration.engine.harness import EngineHarness, bogota

pytestmark = pytest.mark.integration
SECRET = "in-S3cret"


def people(numbers: list[str], city: str = "Cali") -> list[dict[str, object]]:
    return [
        {"number": n, "fields": {"nombre": f"P{i}", "ciudad": city}} for i, n in enumerate(numbers)
    ]


def texts_at_sim(h: EngineHarness) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for record in h.sim.sim.records:
        for number in record.accepted:
            out.setdefault(number, []).append(record.text)
    return out


def test_each_number_gets_its_own_text_once(h: EngineHarness) -> None:
    numbers = h.numbers(2500)
    cities = ["Cali"] * 1200 + ["Pasto"] * 1300
    recipients = [
        {"number": n, "fields": {"ciudad": c}} for n, c in zip(numbers, cities, strict=True)
    ]
    cid = h.submit(recipients, message="Ofertas en {{ciudad}}")
    h.run()
    assert h.statuses(cid) == {"accepted": 2500}
    h.never_twice()
    assert len(h.sim.sim.records) == 4  # 1000 + 200 Cali, 1000 + 300 Pasto
    sent = texts_at_sim(h)
    assert all(sent[n] == [f"Ofertas en {c}"] for n, c in zip(numbers, cities, strict=True))


def test_ley_2300_one_a_day_holds_with_templates(h: EngineHarness) -> None:
    shared = h.numbers(3)
    first = h.submit(people(shared), message="Hola {{nombre}}", purpose="commercial")
    h.run()
    second = h.submit(
        people(shared + h.numbers(2), "Neiva"), message="Promo {{ciudad}}", purpose="commercial"
    )
    h.run()
    assert h.statuses(first) == {"accepted": 3}
    assert h.statuses(second) == {"accepted": 2, "pending": 3}  # the 3 wait for tomorrow
    moved = h.q(
        "SELECT c.text_id, c.size FROM chunk c WHERE c.campaign_id = :c AND c.status = 'deferred'",
        c=second,
    )
    assert moved == [(0, 3)]  # the text goes with the numbers that moved
    h.clock.now = bogota("2026-11-26 08:00:00")
    h.run()
    assert h.statuses(second) == {"accepted": 5}
    assert all(texts[-1] == "Promo Neiva" for texts in texts_at_sim(h).values() if len(texts) > 1)
    assert {len(t) for t in texts_at_sim(h).values()} == {1, 2}  # the 3 shared: one a day


@pytest.fixture
def api(h: EngineHarness) -> Iterator[TestClient]:
    h.use_settings(inbound_secret=SecretStr(SECRET))
    with TestClient(create_app(h.settings, h.engine)) as client:
        yield client


def test_opt_outs_pause_and_cancel_hold_with_templates(h: EngineHarness, api: TestClient) -> None:
    numbers = h.numbers(2001)
    first = h.submit(people(numbers[:1]), message="Hola {{nombre}}", method="2via")
    h.run()
    said = api.get(f"/inbound/{SECRET}", params={"mensaje": "salir", "celular": numbers[0]})
    assert said.json()["opt_out"]
    later = h.submit(people(numbers), message="Hola de {{ciudad}}", method="2via")
    assert h.campaign(later)["suppressed"] == 1  # suppressed at intake, texts or not
    steer.pause_campaign(h.engine, later, None)
    h.run()
    assert h.statuses(later) == {"pending": 2000, "suppressed": 1}
    steer.cancel_campaign(h.engine, later, None)
    h.run()
    assert h.statuses(later) == {"cancelled": 2000, "suppressed": 1}
    assert len(texts_at_sim(h)[numbers[0]]) == 1 and h.campaign(first)["status"] == "completed"
