"""Every bad input is a 4xx that says what to fix, and stores nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.integration.api.conftest import KeyFactory

pytestmark = pytest.mark.integration


def stored(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM campaign")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM recipient")).scalar_one(),
        )


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (
            b'{"name": "x", "message": "hola\\udc00", "recipients": ["3102111111"]}',
            422,
            "lone surrogate",
        ),
        (b'{"name": "x", "message": "hola", "recipients": ["31\\ud800"]}', 422, "lone surrogate"),
        (
            b'{"name": "x", "message": "hola", "recipients": [' + b"7" * 5000 + b"]}",
            422,
            "too long",
        ),
        (
            b'{"name": "x", "message": "hola", "recipients": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}",
            422,
            "not a list",
        ),
        (b'{"name": ' + b"[" * 100_000 + b"}", 422, "not a list"),
        (b'{"name": "x", "message": "hola", "recipients": [true, null]}', 422, "recipients[0]"),
        (b'{"name": "x", "message": "hola", "recipients": ["3102111111"]', 400, "not valid JSON"),
        (b'{"name": "x", "message": "hola", "recipients": ["3102111111"]} x', 400, "follows"),
        (b'{"name": "x", "message": "hola"}', 422, "recipients"),
        (b'["3102111111"]', 400, "JSON object"),
        (b'{"name": "x", "message": "h\xe9", "recipients": ["3102111111"]}', 400, "not UTF-8"),
        (b'{"name": "' + b"x" * 70_000 + b'", "message": "m", "recipients": []}', 413, "over"),
    ],
    ids=[
        "surrogate-field",
        "surrogate-number",
        "5000-digits",
        "nested-recipients",
        "nested-field",
        "not-numbers",
        "truncated",
        "trailing",
        "no-recipients",
        "array",
        "latin-1",
        "huge-name",
    ],
)
def test_bad_json_bodies(
    api: TestClient, new_key: KeyFactory, engine: Engine, body: bytes, status: int, says: str
) -> None:
    _, auth = new_key()
    before = stored(engine)
    r = api.post(
        "/v1/campaigns", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert says in r.json()["detail"] or says in str(r.json().get("errors"))
    assert stored(engine) == before


def test_numbers_as_written_reach_the_number_rules(api: TestClient, new_key: KeyFactory) -> None:
    _, auth = new_key()
    body = b'{"recipients": [3102111111, 3.00111E+09, "3102111112"], "name": "n", "message": "m"}'
    r = api.post(
        "/v1/campaigns", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["counts"]["sendable"] == 2  # the fields may come after the numbers
    assert r.json()["invalid_sample"][0]["reason"] == "scientific_notation"


def test_invalid_utf8_in_the_query_is_refused(
    api: TestClient, new_key: KeyFactory, engine: Engine
) -> None:
    _, auth = new_key()
    before = stored(engine)
    r = api.post(
        "/v1/campaigns?name=x&message=%FF%FE",
        content=b"3102111111\n",
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    assert "UTF-8" in r.json()["detail"]
    assert stored(engine) == before


def test_a_chunked_multipart_body_is_counted_while_it_streams(
    api: TestClient, new_key: KeyFactory, engine: Engine, settings: Any
) -> None:
    _, auth = new_key()
    before = stored(engine)
    api.app.state.settings = settings.model_copy(update={"max_upload_bytes": 4096})  # type: ignore[attr-defined]
    boundary = "b0undary"

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\nhola\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="recipients"; '
            'filename="n.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        for i in range(2000):
            yield f"310{i:07d}\n".encode()
        yield f"\r\n--{boundary}--\r\n".encode()

    try:
        r = api.post(
            "/v1/campaigns",
            content=chunks(),
            headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    finally:
        api.app.state.settings = settings  # type: ignore[attr-defined]
    assert r.status_code == 413, r.text
    assert "PREGONERO_MAX_UPLOAD_BYTES" in r.json()["detail"]
    assert stored(engine) == before


def test_the_export_escapes_cells_a_spreadsheet_would_run(
    api: TestClient, new_key: KeyFactory
) -> None:
    _, auth = new_key()
    body = "msisdn\n3102111111\n=cmd|' /C calc'!A0\n@SUM(1)\n+1 abc\n-2+3\n"
    cid = api.post(
        "/v1/campaigns",
        params={"name": "x", "message": "hola"},
        content=body.encode(),
        headers={**auth, "Content-Type": "text/csv"},
    ).json()["id"]
    export = api.get(f"/v1/campaigns/{cid}/recipients", params={"format": "csv"}, headers=auth)
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert list(rows[0]) == [
        "msisdn",
        "status",
        "reason",
        "code",
        "provider_ref",
        "updated_at",
        "detail",
        "text_id",
    ]
    cells = [r["msisdn"] for r in rows]
    assert cells == ["573102111111", "'=cmd|' /C calc'!A0", "'@SUM(1)", "'+1 abc", "'-2+3"]
    assert all(not c.startswith(("=", "+", "-", "@")) for r in rows for c in r.values())
    assert rows[1]["reason"] == "not_a_number"
