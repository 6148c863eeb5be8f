"""Personalised messages end to end: CSV and JSON through the running API, real Celery
workers and beat, the simulator on loopback.  The plan's requests are the requests the
provider sees, and each number gets its own text exactly once."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from dispatcher.dev.stack import Stack
from dispatcher.domain.message import Encoding, encoding_of

pytestmark = pytest.mark.e2e
CITIES = {"Cali": 1500, "Pasto": 1000, "Neiva": 500}


@pytest.fixture
def stack(pg_server_url: str) -> Iterator[Stack]:
    s = Stack(pg_server_url, block_interval_s=0.1)
    yield s
    s.stop()


def city_csv() -> tuple[bytes, dict[str, str]]:
    out, expected, i = io.StringIO(), {}, 0
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Nombre", "Móvil", "Ciudad"])
    for city, count in CITIES.items():
        for _ in range(count):
            number = f"310{i:07d}"
            writer.writerow([f"Persona {i}", number, city])
            expected[f"57{number}"] = f"Hola, hay ofertas en {city}"
            i += 1
    return out.getvalue().encode(), expected


def test_texts_grouped_into_blocks_reach_each_number_once(stack: Stack) -> None:
    stack.start_worker("w1")
    stack.start_beat()
    base = stack.start_api()
    auth = {"Authorization": f"Bearer {stack.tenant_key}"}
    body, expected = city_csv()
    with httpx.Client(base_url=base, headers=auth, timeout=30) as api:
        cities = api.post(
            "/v1/campaigns",
            params={"name": "ciudades", "message": "Hola, hay ofertas en {{ ciudad }}"},
            content=body,
            headers={"Content-Type": "text/csv"},
        )
        assert cities.status_code == 201, cities.text
        plan = cities.json()["plan"]
        assert (plan["texts"], plan["requests"], plan["numbers"]) == (3, 4, 3000)
        names = [{"number": f"320{i:07d}", "fields": {"nombre": f"Ana {i}"}} for i in range(5)]
        per_person = api.post(
            "/v1/campaigns",
            json={"name": "nombres", "message": "Hola {{nombre}}", "recipients": names},
        )
        assert per_person.json()["plan"]["requests"] == 5
        translit = api.post(
            "/v1/campaigns",
            json={
                "name": "translit",
                "message": "Canción “nueva” en {{ciudad}}…",
                "transliterate": True,
                "recipients": [
                    {"number": f"315{i:07d}", "fields": {"ciudad": "Bogotá"}} for i in range(3)
                ],
            },
        )
        assert translit.json()["plan"]["encoding"] == {"gsm7": 1, "ucs2": 0}
        ids = [r.json()["id"] for r in (cities, per_person, translit)]
    for cid in ids:
        stack.wait_completed(cid, timeout_s=60)
    assert stack.sim.sim.duplicates() == {}
    records = stack.sim.sim.records
    city_requests = [r for r in records if r.text.startswith("Hola, hay ofertas")]
    assert len(city_requests) == 4  # as the plan said
    got = {n: r.text for r in city_requests for n in r.accepted}
    assert got == expected  # each number its own city's text, once
    assert Counter(len(r.numbers) for r in city_requests) == Counter({1000: 2, 500: 2})
    assert len([r for r in records if r.text.startswith("Hola Ana")]) == 5
    sent = {r.text for r in records if r.text.startswith("Cancion")}
    assert sent == {'Cancion "nueva" en Bogota...'}
    assert encoding_of(next(iter(sent))) is Encoding.GSM7
