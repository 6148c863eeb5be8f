"""Replies as the provider delivers them: stored once, attributed to the campaign that
reached the number, opt-outs suppressed before the next block, forwarded signed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from dispatcher.api.app import create_app
from dispatcher.engine import callbacks
from tests.integration.engine.harness import EngineHarness
from tests.integration.engine.test_callbacks import Receiver, receiver, verify  # noqa: F401

pytestmark = pytest.mark.integration
SECRET = "in-S3cret"


@pytest.fixture
def api(h: EngineHarness) -> Iterator[TestClient]:
    h.use_settings(inbound_secret=SecretStr(SECRET), callback_allow_private=True)
    with TestClient(create_app(h.settings, h.engine)) as client:
        yield client


def replies_of(h: EngineHarness, campaign_id: int) -> tuple[int, int]:
    row = h.campaign(campaign_id)
    return row["n_replies"], row["n_opt_outs"]


def reply(api: TestClient, celular: str, mensaje: str, **kw: Any) -> httpx.Response:
    return api.get(f"/inbound/{SECRET}", params={"mensaje": mensaje, "celular": celular}, **kw)


def test_a_reply_belongs_to_the_two_way_campaign_that_reached_the_number(
    h: EngineHarness, api: TestClient
) -> None:
    numbers = h.numbers(3)
    one_way = h.submit(numbers, method="1via")
    h.run()
    two_way = h.submit(numbers, method="2via")
    h.run()
    answer = reply(api, numbers[0], "Gracias, ¿a qué hora?")
    assert answer.status_code == 200, answer.text
    assert answer.json()["campaign_id"] == two_way and not answer.json()["opt_out"]
    assert h.q("SELECT campaign_id, recipient_n, account, text FROM inbound_message") == [
        (two_way, 1, "default", "Gracias, ¿a qué hora?")
    ]
    assert replies_of(h, two_way) == (1, 0)
    assert replies_of(h, one_way) == (0, 0)
    listed = api.get(f"/v1/campaigns/{two_way}/replies", headers=h.auth).json()["items"]
    assert [(r["msisdn"], r["text"], r["recipient_n"]) for r in listed] == [
        (numbers[0], "Gracias, ¿a qué hora?", 1)
    ]


@pytest.mark.parametrize("said", ["SALIR", "Salir.", "salír por favor", "  stop ", "No más"])
def test_an_opt_out_suppresses_the_number_before_the_next_block(
    h: EngineHarness, api: TestClient, said: str
) -> None:
    numbers = h.numbers(1500)
    cid = h.submit(numbers[:1], method="2via")
    h.run()
    assert reply(api, numbers[0], said).json()["opt_out"] is True
    assert h.q("SELECT account, source, reason FROM suppression") == [
        ("default", "reply", "opted_out")
    ]
    assert replies_of(h, cid) == (1, 1)
    later = h.submit(numbers, method="2via")  # the number is refused at intake now
    assert h.campaign(later)["suppressed"] == 1


def test_an_opt_out_reaches_chunks_not_yet_sent(h: EngineHarness, api: TestClient) -> None:
    numbers = h.numbers(2000)
    first = h.submit(numbers[:1], method="2via")
    h.run()
    running = h.submit(numbers[1:] + numbers[:1], method="2via")  # the number is last
    assert h.campaign(first)["status"] == "completed"
    assert reply(api, numbers[0], "salir").json()["opt_out"]
    h.run()
    assert h.statuses(running) == {"accepted": 1999, "suppressed": 1}
    assert numbers[0] not in h.accepted_at_sim() or len(h.accepted_at_sim()[numbers[0]]) == 1


@pytest.mark.parametrize("said", ["no quiero salir", "hola", "¿salir?  no", ""])
def test_words_later_in_a_reply_are_not_an_opt_out(
    h: EngineHarness, api: TestClient, said: str
) -> None:
    numbers = h.numbers(1)
    h.submit(numbers, method="2via")
    h.run()
    opted = reply(api, numbers[0], said).json()["opt_out"]
    assert opted is (said == "¿salir?  no")  # "salir" first, punctuation aside
    assert h.q("SELECT count(*) FROM suppression") == [(int(opted),)]


def test_what_the_provider_sends_is_read(h: EngineHarness, api: TestClient) -> None:
    numbers = h.numbers(3)
    h.submit(numbers, method="2via")
    h.run()
    national = numbers[0][2:]  # without the 57
    latin1 = quote_from_bytes("Sí, ñandú".encode("latin-1"))
    got = api.get(f"/inbound/{SECRET}?mensaje={latin1}&celular={national}&extra=1&fecha=x")
    assert got.status_code == 200 and got.json()["campaign_id"] is not None
    form = api.post(
        f"/inbound/{SECRET}",
        content=f"mensaje=Hola+mundo&celular=%2B{numbers[1]}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 200, form.text
    assert sorted(h.q("SELECT msisdn, text FROM inbound_message")) == sorted(
        [(numbers[0], "Sí, ñandú"), (numbers[1], "Hola mundo")]
    )


def test_the_same_reply_twice_within_a_minute_is_stored_once(
    h: EngineHarness, api: TestClient
) -> None:
    numbers = h.numbers(1)
    cid = h.submit(numbers, method="2via")
    h.run()
    first, again = reply(api, numbers[0], "sí"), reply(api, numbers[0], "sí")
    assert first.json()["stored"] and not again.json()["stored"] and again.json()["duplicate"]
    assert reply(api, numbers[0], "no").json()["stored"]  # another text is another reply
    assert h.q("SELECT count(*) FROM inbound_message") == [(2,)]
    assert replies_of(h, cid) == (2, 0)


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        (f"/inbound/{SECRET}x", {"mensaje": "hola", "celular": "573102111111"}, 404),
        ("/inbound/", {"mensaje": "hola", "celular": "573102111111"}, 404),
        (f"/inbound/{SECRET}", {"mensaje": "hola"}, 422),
        (f"/inbound/{SECRET}", {"celular": "573102111111"}, 422),
        (f"/inbound/{SECRET}", {"mensaje": "hola", "celular": "no soy un número"}, 422),
        (f"/inbound/{SECRET}", {"mensaje": "x" * 2001, "celular": "573102111111"}, 422),
        (f"/inbound/{SECRET}", {"mensaje": "a\x00b", "celular": "573102111111"}, 422),
        (f"/inbound/{SECRET}/nope", {"mensaje": "hola", "celular": "573102111111"}, 404),
    ],
)
def test_unusable_requests_store_nothing(
    h: EngineHarness, api: TestClient, path: str, params: dict[str, str], status: int
) -> None:
    answer = api.get(path, params=params)
    assert answer.status_code == status, answer.text
    if status == 422:
        assert answer.json()["errors"][0]["field"] in ("mensaje", "celular")
    assert h.q("SELECT count(*) FROM inbound_message") == [(0,)]


def test_a_huge_body_is_refused(h: EngineHarness, api: TestClient) -> None:
    body = b"mensaje=" + b"a" * 100_000 + b"&celular=573102111111"
    answer = api.post(
        f"/inbound/{SECRET}",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert h.q("SELECT count(*) FROM inbound_message") == [(0,)]


def test_without_a_configured_secret_nothing_is_received(h: EngineHarness) -> None:
    with TestClient(create_app(h.settings, h.engine)) as client:  # no INBOUND_SECRET
        assert client.get("/inbound/anything?mensaje=a&celular=573102111111").status_code == 404


def test_unattributed_replies_are_kept_and_an_opt_out_covers_every_account(
    h: EngineHarness, api: TestClient
) -> None:
    stranger = h.numbers(1)[0]
    answer = reply(api, stranger, "BAJA")
    assert answer.json()["campaign_id"] is None and answer.json()["opt_out"]
    assert h.q("SELECT campaign_id, account FROM inbound_message") == [(None, None)]
    assert h.q("SELECT account FROM suppression") == [("default",)]


def test_a_reply_is_forwarded_signed_once(
    h: EngineHarness,
    api: TestClient,
    receiver: Receiver,  # noqa: F811
) -> None:
    numbers = h.numbers(2)
    cid = h.submit(numbers, method="2via", reply_url=receiver.url)
    h.run()
    reply(api, numbers[1], "Salir")
    callbacks.deliver_due(h.engine, h.settings)
    callbacks.deliver_due(h.engine, h.settings)
    replies = [(hd, b) for hd, b in receiver.got if json.loads(b)["event"] == "reply.received"]
    assert len(replies) == 1
    headers, body = replies[0]
    payload = json.loads(body)
    assert payload["campaign_id"] == cid and payload["msisdn"] == numbers[1]
    assert payload["text"] == "Salir" and payload["opt_out"] is True
    assert headers["X-Pregonero-Event"] == payload["event_id"]
    [(secret,)] = h.q("SELECT callback_secret FROM tenant WHERE id = :t", t=h.tenant_id)
    assert verify(secret, headers, body)


def test_a_reply_url_needs_a_two_way_campaign(h: EngineHarness, api: TestClient) -> None:
    refused = api.post(
        "/v1/campaigns",
        json={
            "name": "c",
            "message": "hola",
            "recipients": ["3102111111"],
            "reply_url": "https://93.184.216.34/replies",
        },
        headers=h.auth,
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["reply_url"]
