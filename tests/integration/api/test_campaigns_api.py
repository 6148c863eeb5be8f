"""Campaign intake through the HTTP API on a real Postgres."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from dispatcher.domain.status import Role
from tests.builders import a_tenant

pytestmark = pytest.mark.integration
KeyFactory = Callable[..., tuple[str, dict[str, str]]]


def mobile(i: int) -> str:
    return f"310{i:07d}"


def campaign(recipients: list[Any], **extra: Any) -> dict[str, Any]:
    return {"name": "Promo", "message": "Hola, su pedido llegó", "recipients": recipients, **extra}


def test_json_campaign_counts_and_chunks(
    api: TestClient, new_key: KeyFactory, engine: Engine
) -> None:
    _, auth = new_key()
    numbers = ["+57 310 211 1111", "3102111111", "(310) 211-1112", "abc", "", 3102111113]
    r = api.post("/v1/campaigns", json=campaign(numbers), headers=auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "scheduled"
    assert body["counts"] == {
        "submitted": 6,
        "sendable": 3,
        "invalid": 2,
        "duplicate": 1,
        "suppressed": 0,
        "reached_today": None,  # transactional: Ley 2300's one a day does not apply
        "on_exclusion_lists": {},
    }
    assert body["chunks"] == 1
    assert body["encoding"] == "UCS-2" and body["segments"] == 1  # ó is not GSM-7
    assert body["estimated_duration_s"] == 2.0
    assert [(s["line"], s["value"], s["reason"]) for s in body["invalid_sample"]] == [
        (4, "abc", "not_a_number"),
        (5, "", "empty"),
    ]
    assert r.headers["location"] == f"/v1/campaigns/{body['id']}"
    with engine.connect() as conn:
        chunk = conn.execute(
            text("SELECT seq, size, status FROM chunk WHERE campaign_id = :c"), {"c": body["id"]}
        ).all()
    assert [tuple(c) for c in chunk] == [(0, 3, "ready")]


def _csv(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_25000_numbers_with_invalid_duplicate_and_suppressed(
    api: TestClient, new_key: KeyFactory, engine: Engine
) -> None:
    _, auth = new_key()
    rng = random.Random(7)
    base = [mobile(i) for i in range(1, 24_001)]
    suppressed = base[100:150]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO suppression (account, msisdn, reason, source) "
                "VALUES ('default', :m, 'opted_out', 'reply')"
            ),
            [{"m": "57" + m} for m in suppressed],
        )
    invalid = ["12345", "abcdefg", "601234567", "+57 601 2345678", "31021111"] * 100  # 500
    duplicates = [f"+57 {n[:3]} {n[3:6]} {n[6:]}" for n in rng.sample(base, 500)]  # 500
    rows = base + invalid + duplicates
    rng.shuffle(rows)
    assert len(rows) == 25000
    r = api.post(
        "/v1/campaigns",
        params={"name": "Grande", "message": "Hola"},
        content=_csv(["telefono;nombre"] + [f"{n};x" for n in rows]),
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["counts"] == {
        "submitted": 25000,
        "sendable": 24000 - 50,
        "invalid": 500,
        "duplicate": 500,
        "suppressed": 50,
        "reached_today": None,
        "on_exclusion_lists": {},
    }
    assert body["chunks"] == 24  # 23,950 numbers in chunks of 1,000
    assert body["estimated_duration_s"] == 48.0
    assert body["invalid_sample"][0]["line"] >= 2  # real file lines (the header is line 1)

    export = api.get(
        f"/v1/campaigns/{body['id']}/recipients", params={"format": "csv"}, headers=auth
    )
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(export.text)))
    assert list(table[0]) == [
        "msisdn",
        "status",
        "reason",
        "code",
        "provider_ref",
        "updated_at",
        "detail",
        "text_id",
    ]
    assert len(table) == 25000 - 500  # duplicates collapse into one row
    by_status: dict[str, int] = {}
    for row in table:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    assert by_status == {"pending": 23950, "invalid": 500, "suppressed": 50}
    pending = {row["msisdn"] for row in table if row["status"] == "pending"}
    assert pending == {"57" + n for n in base} - {"57" + n for n in suppressed}

    detail = api.get(f"/v1/campaigns/{body['id']}", headers=auth).json()
    assert detail["counts"]["by_status"]["pending"] == 23950
    assert detail["progress"] == 0.0
    with engine.connect() as conn:
        sizes = (
            conn.execute(
                text("SELECT size FROM chunk WHERE campaign_id = :c ORDER BY seq"),
                {"c": body["id"]},
            )
            .scalars()
            .all()
        )
        per_chunk = conn.execute(
            text(
                "SELECT chunk_seq, count(*) FROM recipient "
                "WHERE campaign_id = :c AND chunk_seq IS NOT NULL GROUP BY 1 ORDER BY 1"
            ),
            {"c": body["id"]},
        ).all()
        spans_ok = conn.execute(
            text(
                "SELECT bool_and(r.n BETWEEN c.n_lo AND c.n_hi) FROM recipient r "
                "JOIN chunk c ON c.campaign_id = r.campaign_id AND c.seq = r.chunk_seq "
                "WHERE r.campaign_id = :c"
            ),
            {"c": body["id"]},
        ).scalar()
    assert sizes == [1000] * 23 + [950]
    assert [n for _, n in per_chunk] == sizes
    assert spans_ok


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        ("\ufeffmsisdn\n3102111111\n\n\n3102111112\n", 2),
        ('"celular","nombre"\n"3102111111","Ana"\n"3102111112","Luis, Jr"\n', 2),
        ("phone\tname\n3102111111\tAna\n", 1),
        ("3102111111\r\n3102111112\r\n3102111113\r\n", 3),
        ("nombre;Celular\nAna;+57 310 211 1111\n", 1),
    ],
    ids=["bom-blank-lines", "quoted-comma", "tab", "crlf-no-header", "semicolon-column-second"],
)
def test_csv_shapes(api: TestClient, new_key: KeyFactory, body: str, lines: int) -> None:
    _, auth = new_key()
    r = api.post(
        "/v1/campaigns",
        params={"name": "csv", "message": "hola"},
        content=body.encode(),
        headers={**auth, "Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["counts"]["sendable"] == lines
    assert r.json()["counts"]["invalid"] == 0


def test_multipart_upload(api: TestClient, new_key: KeyFactory) -> None:
    _, auth = new_key()
    r = api.post(
        "/v1/campaigns",
        data={"name": "mp", "message": "hola", "method": "2via", "purpose": "commercial"},
        files={"recipients": ("numbers.csv", b"msisdn\n3102111111\nnope\n", "text/csv")},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["counts"] == {
        "submitted": 2,
        "sendable": 1,
        "invalid": 1,
        "duplicate": 0,
        "suppressed": 0,
        "reached_today": 0,  # commercial: none of them was reached today
        "on_exclusion_lists": {},
    }
    assert r.json()["invalid_sample"][0]["line"] == 3
    detail = api.get(r.headers["location"], headers=auth).json()
    assert detail["method"] == "2via" and detail["purpose"] == "commercial"


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _stored(engine: Engine) -> tuple[int, int, int]:
    return (
        _count(engine, "SELECT count(*) FROM campaign"),
        _count(engine, "SELECT count(*) FROM recipient"),
        _count(engine, "SELECT count(*) FROM chunk"),
    )


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (campaign(["abc", "12"]), "no number in the campaign can be sent"),
        (campaign([]), "the campaign has no numbers"),
        (campaign(["3102111111"], message=""), "the message is empty"),
        (campaign(["3102111111"], message="x" * 766), "takes at most 765, shorten it by 1"),
        (campaign(["3102111111"], method="sms"), "method"),
        (
            campaign(["3102111111"], message="Pague en https://pagos.co/x"),
            "not authorised for links",
        ),
        (campaign(["3102111111"], start_at="2026-11-25T08:00:00"), "include a UTC offset"),
        (campaign(["3102111111"], colour="red"), "colour"),
        ({"name": "x", "recipients": ["3102111111"]}, "message"),
        (
            campaign(
                ["3102111111"],
                start_at="2026-11-26T08:00:00-05:00",
                expires_at="2026-11-25T08:00:00-05:00",
            ),
            "expires_at must be after start_at",
        ),
    ],
)
def test_refusals_are_422_problems_and_store_nothing(
    api: TestClient, new_key: KeyFactory, engine: Engine, payload: dict[str, Any], fragment: str
) -> None:
    _, auth = new_key()
    before = _stored(engine)
    r = api.post("/v1/campaigns", json=payload, headers=auth)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert (
        problem["status"] == 422 and problem["title"] and problem["type"].startswith("/problems/")
    )
    assert fragment in r.text
    assert _stored(engine) == before


def test_strict_refuses_any_invalid(api: TestClient, new_key: KeyFactory, engine: Engine) -> None:
    _, auth = new_key()
    before = _stored(engine)
    r = api.post(
        "/v1/campaigns",
        params={"strict": "true"},
        json=campaign(["3102111111", "abc"]),
        headers=auth,
    )
    assert r.status_code == 422
    assert "strict=true" in r.json()["detail"]
    assert r.json()["invalid_sample"] == [
        {
            "line": 2,
            "value": "abc",
            "reason": "not_a_number",
            "detail": "not a phone number (letters or symbols in it)",
        }
    ]
    assert _stored(engine) == before


def test_bad_bodies(api: TestClient, new_key: KeyFactory, engine: Engine) -> None:
    _, auth = new_key()
    before = _stored(engine)
    malformed = api.post(
        "/v1/campaigns", content=b'{"name": ', headers={**auth, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and "not valid JSON" in malformed.json()["detail"]
    latin1 = api.post(
        "/v1/campaigns",
        params={"name": "x", "message": "hola"},
        content="msisdn\n3102111111\nJosé;3102111112\n".encode("latin-1"),
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert latin1.status_code == 422 and "not UTF-8" in latin1.json()["detail"]
    wrong_type = api.post(
        "/v1/campaigns", content=b"<xml/>", headers={**auth, "Content-Type": "application/xml"}
    )
    assert wrong_type.status_code == 415 and "application/json" in wrong_type.json()["detail"]
    no_column = api.post(
        "/v1/campaigns",
        params={"name": "x", "message": "hola"},
        content=b"nombre,ciudad\nAna,Cali\n",
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert no_column.status_code == 422
    assert "read from the first column, 'nombre'" in no_column.json()["detail"]
    missing_fields = api.post(
        "/v1/campaigns", content=b"3102111111\n", headers={**auth, "Content-Type": "text/csv"}
    )
    assert missing_fields.status_code == 422 and "name" in missing_fields.json()["detail"]
    assert _stored(engine) == before


def test_limits(api: TestClient, new_key: KeyFactory, engine: Engine, settings: Any) -> None:
    _, auth = new_key()
    before = _stored(engine)
    api.app.state.settings = settings.model_copy(
        update={"max_recipients": 3, "max_upload_bytes": 2048}
    )  # type: ignore[attr-defined]
    try:
        many = api.post(
            "/v1/campaigns", json=campaign([mobile(i) for i in range(1, 5)]), headers=auth
        )
        assert many.status_code == 413 and "PREGONERO_MAX_RECIPIENTS" in many.json()["detail"]
        big = api.post(
            "/v1/campaigns", json=campaign([mobile(i) for i in range(1, 400)]), headers=auth
        )
        assert big.status_code == 413 and "PREGONERO_MAX_UPLOAD_BYTES" in big.json()["detail"]
    finally:
        api.app.state.settings = settings  # type: ignore[attr-defined]
    assert _stored(engine) == before


def test_idempotency(api: TestClient, new_key: KeyFactory, engine: Engine) -> None:
    _, auth = new_key()
    headers = {**auth, "Idempotency-Key": "order-42"}
    first = api.post("/v1/campaigns", json=campaign(["3102111111", "x"]), headers=headers)
    again = api.post("/v1/campaigns", json=campaign(["3102111111", "x"]), headers=headers)
    assert first.status_code == 201 and again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    other = api.post("/v1/campaigns", json=campaign(["3102111112"]), headers=headers)
    assert other.status_code == 409 and "different body" in other.json()["detail"]
    # The same key is free for another tenant.
    _, auth2 = new_key()
    theirs = api.post(
        "/v1/campaigns",
        json=campaign(["3102111112"]),
        headers={**auth2, "Idempotency-Key": "order-42"},
    )
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # CSV retries through multipart hash the content, not the random boundary.
    mp = {**auth, "Idempotency-Key": "upload-1"}
    files = {"recipients": ("a.csv", b"3102111111\n", "text/csv")}
    a = api.post("/v1/campaigns", data={"name": "n", "message": "m"}, files=files, headers=mp)
    b = api.post("/v1/campaigns", data={"name": "n", "message": "m"}, files=files, headers=mp)
    assert a.status_code == b.status_code == 201 and a.json()["id"] == b.json()["id"]


def test_tenant_isolation_and_auth(api: TestClient, new_key: KeyFactory, engine: Engine) -> None:
    _, mine = new_key()
    _, theirs = new_key()
    cid = api.post("/v1/campaigns", json=campaign(["3102111111"]), headers=mine).json()["id"]
    for path in ("", "/recipients", "/recipients?format=csv"):
        assert api.get(f"/v1/campaigns/{cid}{path}", headers=theirs).status_code == 404
    for action in ("pause", "resume", "cancel"):
        assert api.post(f"/v1/campaigns/{cid}/{action}", headers=theirs).status_code == 404
    assert cid not in [c["id"] for c in api.get("/v1/campaigns", headers=theirs).json()["items"]]
    assert api.get("/v1/campaigns").status_code == 401
    bad = api.get("/v1/campaigns", headers={"Authorization": "Bearer pgo_nope_nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
    from dispatcher.store.apikeys import create_key, revoke

    key = create_key(engine, "revocable")
    assert api.get("/v1/campaigns", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    revoke(engine, key.split("_")[1])
    assert api.get("/v1/campaigns", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT key_hash FROM api_key WHERE prefix = :p"), {"p": key.split("_")[1]}
        ).scalar_one()
    assert key not in stored and len(stored) == 64


def test_listing_paging_and_filters(api: TestClient, new_key: KeyFactory) -> None:
    _, auth = new_key()
    ids = [
        api.post("/v1/campaigns", json=campaign([mobile(i)]), headers=auth).json()["id"]
        for i in range(1, 6)
    ]
    page1 = api.get("/v1/campaigns", params={"limit": 2}, headers=auth).json()
    assert [c["id"] for c in page1["items"]] == ids[::-1][:2]
    page2 = api.get(
        "/v1/campaigns", params={"limit": 2, "before": page1["next_before"]}, headers=auth
    ).json()
    assert [c["id"] for c in page2["items"]] == ids[::-1][2:4]
    page3 = api.get(
        "/v1/campaigns", params={"limit": 2, "before": page2["next_before"]}, headers=auth
    ).json()
    assert [c["id"] for c in page3["items"]] == ids[:1] and page3["next_before"] is None
    api.post(f"/v1/campaigns/{ids[0]}/pause", headers=auth)
    paused = api.get("/v1/campaigns", params={"status": "paused"}, headers=auth).json()["items"]
    assert [c["id"] for c in paused] == [ids[0]]
    bad = api.get("/v1/campaigns", params={"status": "sleeping"}, headers=auth)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_recipient_pages(api: TestClient, new_key: KeyFactory) -> None:
    _, auth = new_key()
    cid = api.post(
        "/v1/campaigns", json=campaign([mobile(i) for i in range(1, 8)] + ["bad"]), headers=auth
    ).json()["id"]
    seen, after = [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"after": after} if after else {})}
        page = api.get(f"/v1/campaigns/{cid}/recipients", params=params, headers=auth).json()
        seen += page["items"]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == 8 and [r["n"] for r in seen] == list(range(1, 9))
    invalid = api.get(
        f"/v1/campaigns/{cid}/recipients", params={"status": "invalid"}, headers=auth
    ).json()
    assert [(r["msisdn"], r["reason"]) for r in invalid["items"]] == [("bad", "not_a_number")]


def test_pause_resume_cancel(api: TestClient, new_key: KeyFactory, engine: Engine) -> None:
    _, auth = new_key()
    cid = api.post(
        "/v1/campaigns", json=campaign([mobile(i) for i in range(1, 2501)]), headers=auth
    ).json()["id"]
    assert api.post(f"/v1/campaigns/{cid}/pause", headers=auth).json()["status"] == "paused"
    detail = api.get(f"/v1/campaigns/{cid}", headers=auth).json()
    assert detail["status"] == "paused" and detail["waiting_reason"] == "operator"
    assert api.post(f"/v1/campaigns/{cid}/resume", headers=auth).json()["status"] == "scheduled"
    # A block already at the provider finishes: mark one chunk as in flight.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE chunk SET status = 'sending' WHERE campaign_id = :c AND seq = 0"),
            {"c": cid},
        )
    cancelled = api.post(f"/v1/campaigns/{cid}/cancel", headers=auth).json()
    assert cancelled == {"id": cid, "status": "cancelled", "cancelled_recipients": 1500}
    with engine.connect() as conn:
        chunks = dict(
            conn.execute(
                text("SELECT seq, status FROM chunk WHERE campaign_id = :c"), {"c": cid}
            ).all()
        )
        statuses = dict(
            conn.execute(
                text("SELECT status, count(*) FROM recipient WHERE campaign_id = :c GROUP BY 1"),
                {"c": cid},
            ).all()
        )
    assert chunks == {0: "sending", 1: "cancelled", 2: "cancelled"}
    assert statuses == {"pending": 1000, "cancelled": 1500}
    again = api.post(f"/v1/campaigns/{cid}/resume", headers=auth)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert api.get("/v1/campaigns/999999999", headers=auth).status_code == 404


def test_health(api: TestClient, new_key: KeyFactory) -> None:
    _, auth = new_key()
    assert api.post("/v1/campaigns", json=campaign(["3102111111"]), headers=auth).status_code == 201
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"status": "ready"}
    metrics = api.get("/metrics")
    assert metrics.status_code == 200
    assert "pregonero_campaigns_submitted_total" in metrics.text
    assert 'pregonero_recipients_submitted_total{outcome="sendable"}' in metrics.text
    schema = api.get("/openapi.json").json()
    assert "/v1/campaigns" in schema["paths"]
    assert "CampaignIn" in schema["components"]["schemas"]


def test_csv_takes_every_field_in_the_query_and_names_ignored_columns(
    api: TestClient, new_key: KeyFactory
) -> None:
    _, auth = new_key()
    params = {
        "name": "cobro",
        "message": "hola",
        "method": "2via",
        "purpose": "collection",
        "priority": "high",
        "start_at": "2026-12-01T08:00:00-05:00",
        "expires_at": "2026-12-02T08:00:00-05:00",
        "callback_url": "https://93.184.216.34/hooks/done",
    }
    body = "nombre;celular;ciudad\nAna;3001112233.0;Cali\nLuis;\u200e3001112234;Bogotá\n"
    r = api.post(
        "/v1/campaigns",
        params=params,
        content=body.encode(),
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["ignored_columns"] == ["nombre", "ciudad"]
    assert created["counts"]["sendable"] == 2  # a float's .0 and an invisible mark, cleaned
    detail = api.get(f"/v1/campaigns/{created['id']}", headers=auth).json()
    assert (detail["method"], detail["purpose"], detail["priority"]) == (
        "2via",
        "collection",
        "high",
    )
    assert detail["start_at"].startswith("2026-12-01T13:00:00")
    assert detail["callback_url"] == "https://93.184.216.34/hooks/done"


def test_scientific_notation_is_refused_with_how_to_fix_it(
    api: TestClient, new_key: KeyFactory
) -> None:
    _, auth = new_key()
    r = api.post("/v1/campaigns", json=campaign(["3001112233", "3.00111E+09"]), headers=auth)
    assert r.status_code == 201
    [sample] = r.json()["invalid_sample"]
    assert sample["reason"] == "scientific_notation"
    assert "format the column as text" in sample["detail"]


def test_docs_work_offline(api: TestClient) -> None:
    import re

    page = api.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/") for u in urls), urls  # nothing from a CDN
    for url in urls:
        assert api.get(url).status_code == 200
    assert "https://" not in api.get("/redoc").text.split("<body>")[0]


def test_uncertain_recipients_are_requeued_or_closed_over_the_api(
    api: TestClient, new_key: KeyFactory, engine: Engine
) -> None:
    _, auth = new_key()
    cid = api.post(
        "/v1/campaigns", json=campaign(["3102111111", "3102111112"]), headers=auth
    ).json()["id"]
    with engine.begin() as conn:  # as a timeout after the request left would leave them
        conn.execute(
            text("UPDATE chunk SET status = 'uncertain' WHERE campaign_id = :c"), {"c": cid}
        )
        conn.execute(
            text("UPDATE recipient SET status = 'uncertain' WHERE campaign_id = :c"), {"c": cid}
        )
        conn.execute(
            text("UPDATE campaign SET n_pending = 0, n_uncertain = 2 WHERE id = :c"), {"c": cid}
        )
    assert api.get(f"/v1/campaigns/{cid}", headers=auth).json()["attention"]
    auth = a_tenant(engine, role=Role.OPERATOR).auth  # resolving uncertain: an operator's
    bad = api.post(f"/v1/campaigns/{cid}/close-uncertain", params={"as": "sent"}, headers=auth)
    assert bad.status_code == 422
    closed = api.post(
        f"/v1/campaigns/{cid}/close-uncertain", params={"as": "rejected"}, headers=auth
    )
    assert closed.json() == {"id": cid, "recipients": 2, "now": "rejected"}
    again = api.post(f"/v1/campaigns/{cid}/requeue-uncertain", headers=auth)
    assert again.json() == {"id": cid, "recipients": 0, "now": "pending"}
    assert api.get(f"/v1/campaigns/{cid}", headers=auth).json()["attention"] is None


def test_a_connection_dropped_during_intake_is_a_503_and_stores_nothing(
    api: TestClient, new_key: KeyFactory, engine: Engine
) -> None:
    import threading

    _, auth = new_key()
    before = _stored(engine)
    body = "msisdn\n" + "".join(f"310{i:07d}\n" for i in range(1, 400_001))
    answer: list[Any] = []
    thread = threading.Thread(
        target=lambda: answer.append(
            api.post(
                "/v1/campaigns",
                params={"name": "big", "message": "hola"},
                content=body.encode(),
                headers={**auth, "Content-Type": "text/csv"},
            )
        )
    )
    thread.start()
    killed = 0
    while not killed and thread.is_alive():
        with engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE query LIKE 'COPY recipient%' AND state = 'active' "
                    "AND datname = current_database()"
                )
            ).scalar_one()
    thread.join(60)
    assert killed == 1
    [r] = answer
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert r.headers["content-type"] == "application/problem+json"
    assert "nothing was stored" in r.json()["detail"]
    assert _stored(engine) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/_sim/reset",
        "https://169.254.169.254/latest",
        "https://10.0.0.1/x",
        "https://[::1]/x",
        "https://0x7f000001/x",
    ],
)
def test_callbacks_into_our_network_are_refused_at_intake(
    api: TestClient, new_key: KeyFactory, engine: Engine, url: str
) -> None:
    _, auth = new_key()
    before = _stored(engine)
    r = api.post("/v1/campaigns", json=campaign(["3102111111"], callback_url=url), headers=auth)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["callback_url"]
    assert _stored(engine) == before


def _timestamps(value: Any) -> list[str]:
    """Every ISO 8601 timestamp in a JSON value."""
    import re

    if isinstance(value, dict):
        return [t for v in value.values() for t in _timestamps(v)]
    if isinstance(value, list):
        return [t for v in value for t in _timestamps(v)]
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        return [value]
    return []


def test_the_detail_shows_the_message_and_every_time_is_utc_with_z(
    api: TestClient, new_key: KeyFactory
) -> None:
    _, auth = new_key()
    today = datetime.now(UTC).date()
    sunday = today + timedelta(days=7 + (6 - today.weekday()))  # a Sunday 1-2 weeks away
    body = campaign(
        ["3102111111"], message="Su cita es mañana", start_at=f"{sunday}T10:00:00-05:00"
    )
    created = api.post("/v1/campaigns", json=body, headers=auth)
    assert created.status_code == 201, created.text
    detail = api.get(created.headers["location"], headers=auth).json()
    assert detail["message"] == "Su cita es mañana"
    # a Sunday: a transactional start is kept as asked
    assert detail["start_at"] == detail["next_send_at"] == f"{sunday}T15:00:00Z"
    stamps = _timestamps(detail) + _timestamps(api.get("/v1/accounts", headers=auth).json())
    stamps += _timestamps(api.get("/v1/campaigns", headers=auth).json())
    assert stamps and all(s.endswith("Z") for s in stamps), stamps
    exported = api.get(f"{created.headers['location']}/recipients?format=csv", headers=auth)
    rows = list(csv.reader(io.StringIO(exported.text)))
    csv_stamps = [c for r in rows[1:] for c in r if _timestamps(c)]
    assert csv_stamps and all(s.endswith("Z") for s in csv_stamps), csv_stamps
