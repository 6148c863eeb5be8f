"""The operator page at /ui over HTTP: its session cookie, its CSRF token, and what each
kind of key may see and do.  The browser tests (tests/e2e/test_ui_browser.py) drive the
same pages in Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text, update

from dispatcher.api.deps import SESSION_COOKIE
from dispatcher.domain.status import ChunkStatus, PauseReason, Role
from dispatcher.engine import balance
from dispatcher.settings import Settings
from dispatcher.store.apikeys import revoke
from dispatcher.store.tables import Campaign, Chunk, ProviderAccount
from tests.builders import Numbers, Tenant, a_campaign, a_tenant, an_account_paused

pytestmark = pytest.mark.integration


def sign_in(api: TestClient, key: str) -> str:
    """Sign in as this key (the client's cookie jar holds only its session)."""
    api.cookies.clear()
    answer = api.post("/ui/sign-in", data={"key": key}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/ui/campaigns"
    return str(answer.cookies[SESSION_COOKIE])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def test_signing_in_sets_a_strict_http_only_cookie_and_signing_out_ends_it(
    api: TestClient, engine: Engine
) -> None:
    tenant = a_tenant(engine)
    assert api.get("/ui/campaigns", follow_redirects=False).headers["location"] == "/ui/sign-in"
    answer = api.post("/ui/sign-in", data={"key": tenant.key}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert tenant.key not in cookie  # the key never leaves the server again
    page = api.get("/ui/campaigns")
    assert page.status_code == 200 and tenant.name in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    out = api.post("/ui/sign-out", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/ui/sign-in"
    api.cookies.set(SESSION_COOKIE, str(answer.cookies[SESSION_COOKIE]))
    assert api.get("/ui/campaigns", follow_redirects=False).status_code == 303  # ended


def test_a_wrong_key_is_refused_with_a_page_that_says_what_to_paste(api: TestClient) -> None:
    answer = api.post("/ui/sign-in", data={"key": "pgo_nope_nope"}, follow_redirects=False)
    assert answer.status_code == 401
    assert "unknown or revoked" in answer.text and SESSION_COOKIE not in answer.headers.get(
        "set-cookie", ""
    )


def test_revoking_the_key_ends_its_sessions(api: TestClient, engine: Engine) -> None:
    tenant = a_tenant(engine)
    sign_in(api, tenant.key)
    assert api.get("/ui/campaigns").status_code == 200
    revoke(engine, tenant.key)
    assert api.get("/ui/campaigns", follow_redirects=False).status_code == 303


def test_a_form_posted_without_the_csrf_token_changes_nothing(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    tenant = a_tenant(engine)
    cid = a_campaign(engine, settings, tenant.id, Numbers()(10))
    sign_in(api, tenant.key)
    for form in ({}, {"csrf": "forged"}):
        refused = api.post(f"/ui/campaigns/{cid}/pause", data=form, follow_redirects=False)
        assert refused.status_code == 403, form
        assert "security token" in refused.text
    other_site = api.post(
        f"/ui/campaigns/{cid}/pause",
        data={"csrf": csrf_of(api.get(f"/ui/campaigns/{cid}").text)},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert other_site.status_code == 403
    assert api.get(f"/v1/campaigns/{cid}").json()["status"] == "scheduled"
    # The cookie alone authorises the JSON API's reads only: a change there needs the key,
    # or the session's token in X-CSRF-Token from this origin (the page's own script).
    token = csrf_of(api.get(f"/ui/campaigns/{cid}").text)
    for headers in (
        {},
        {"X-CSRF-Token": "forged"},
        {"X-CSRF-Token": token, "Origin": "https://evil.example"},
        {"X-CSRF-Token": token, "Origin": "null"},
    ):
        assert api.post(f"/v1/campaigns/{cid}/pause", headers=headers).status_code == 401
    done = api.post(f"/ui/campaigns/{cid}/pause", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=pause")
    assert api.get(f"/v1/campaigns/{cid}").json()["status"] == "paused"
    resumed = api.post(f"/ui/campaigns/{cid}/resume", data={"csrf": token, "back": "list"})
    assert resumed.url.path == "/ui/campaigns" and "Resumed" in resumed.text  # from the list
    assert api.get(f"/v1/campaigns/{cid}").json()["status"] == "scheduled"


def test_a_tenant_sees_only_its_own_campaigns_and_no_balance(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    mine, theirs = a_tenant(engine), a_tenant(engine)
    numbers = Numbers()
    own = a_campaign(engine, settings, mine.id, numbers(5), name="ours")
    other = a_campaign(engine, settings, theirs.id, numbers(5), name="not-ours-xyz")
    with engine.begin() as conn:
        conn.execute(update(ProviderAccount).values(last_balance=Decimal("98765")))
    sign_in(api, mine.key)
    listing = api.get("/ui/campaigns").text
    assert f'data-id="{own}"' in listing and "not-ours-xyz" not in listing
    assert api.get(f"/ui/campaigns/{other}").status_code == 404
    assert api.get(f"/ui/campaigns/{other}/blocks.svg").status_code == 404
    assert api.get(f"/v1/campaigns/{other}").status_code == 404
    assert api.get(f"/ui/campaigns/{other}/confirm/cancel").status_code == 404
    token = csrf_of(listing)
    assert api.post(f"/ui/campaigns/{other}/cancel", data={"csrf": token}).status_code == 404
    accounts = api.get("/ui/accounts").text
    assert "98765" not in accounts and "Last balance" not in accounts
    assert all(a["last_balance"] is None for a in api.get("/v1/accounts").json())
    assert api.get("/v1/campaigns/" + str(other)).status_code == 404
    # what only an operator may do
    refused = api.post(f"/ui/campaigns/{own}/requeue-uncertain", data={"csrf": token})
    assert refused.status_code == 403
    assert api.post("/ui/accounts/default/pause", data={"csrf": token}).status_code == 403


def test_an_operator_sees_every_tenant_filters_and_reads_the_balance(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    one, two = a_tenant(engine), a_tenant(engine)
    operator = a_tenant(engine, role=Role.OPERATOR)
    numbers = Numbers()
    first = a_campaign(engine, settings, one.id, numbers(5), name="first")
    second = a_campaign(engine, settings, two.id, numbers(5), name="second")
    with engine.begin() as conn:
        conn.execute(update(ProviderAccount).values(last_balance=Decimal("4321")))
    sign_in(api, operator.key)
    both = api.get("/ui/campaigns").text
    assert f'data-id="{first}"' in both and f'data-id="{second}"' in both
    assert both.index(f'data-id="{second}"') < both.index(f'data-id="{first}"')  # newest first
    only_two = api.get("/ui/campaigns", params={"tenant": two.name}).text
    assert f'data-id="{second}"' in only_two and f'data-id="{first}"' not in only_two
    listed = api.get("/v1/campaigns", params={"tenant": one.name}).json()["items"]
    assert [c["id"] for c in listed] == [first]
    assert listed[0]["tenant"] == one.name and listed[0]["state"] == "queued to send"
    assert listed[0]["recipients"]["pending"] == 5
    accounts_page = api.get("/ui/accounts").text
    assert "4321" in accounts_page
    # the window now and its next opening, whatever the hour (08:00-21:00 here)
    window = api.get("/v1/accounts").json()[0]["window"]
    opens_again = datetime.fromisoformat(window["opens_again_at"])
    if window["open_now"]:
        assert opens_again > datetime.fromisoformat(window["closes_at"])
        assert "open now, closes" in accounts_page and "opens again" in accounts_page
    else:
        assert opens_again == datetime.fromisoformat(window["next_open"])
        assert "shut, opens" in accounts_page
    token = csrf_of(both)
    paused = api.post("/ui/accounts/default/pause", data={"csrf": token})
    assert "paused by an operator since" in paused.text
    resumed = api.post("/ui/accounts/default/resume", data={"csrf": token})
    assert "The account is resumed" in resumed.text
    unknown = api.post("/ui/accounts/nope/pause", data={"csrf": token})
    assert (
        unknown.status_code == 404 and "there is no provider account &#39;nope&#39;" in unknown.text
    )


def test_an_account_paused_for_balance_reads_in_words(
    api: TestClient, engine: Engine, settings: Settings
) -> None:
    tenant = a_tenant(engine)
    an_account_paused(engine, PauseReason.BALANCE, datetime.now(UTC) - timedelta(minutes=3))
    try:
        sign_in(api, tenant.key)
        page = api.get("/ui/accounts").text
        assert re.search(
            r"paused for balance since (yesterday )?\d\d:\d\d \(resumes by itself", page
        ), page
        # a campaign submitted meanwhile says why it waits from the start
        cid = a_campaign(engine, settings, tenant.id, Numbers()(3))
        row = api.get(f"/v1/campaigns/{cid}").json()
        assert row["state"] == "waiting: its account is paused for balance"
        assert row["eta_s"] is None
        # and one whose waiting reason something else cleared: beat's safety net (the
        # balance poll, the maintenance probe) marks it again while the account is paused
        with engine.begin() as conn:
            conn.execute(update(Campaign).where(Campaign.id == cid).values(waiting_reason=None))
        balance.probe_maintenance(engine, settings)
        raced = api.get(f"/v1/campaigns/{cid}").json()
        assert raced["waiting_reason"] == "balance" and raced["eta_s"] is None
        assert "waiting: its account is paused for balance" in api.get("/ui/campaigns").text
    finally:
        with engine.begin() as conn:
            conn.execute(update(ProviderAccount).values(paused=False, pause_reason=None))


def test_the_campaign_page_charts_blocks_and_finds_a_number(
    api: TestClient, engine: Engine, settings: Settings, tenant: Tenant
) -> None:
    numbers = Numbers()(2_500)
    cid = a_campaign(engine, settings, tenant.id, [*numbers, "12345"])
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            update(Chunk)
            .where(Chunk.campaign_id == cid, Chunk.seq < 2)
            .values(claimed_at=now - timedelta(minutes=1))
        )
        conn.execute(
            update(Chunk)
            .where(Chunk.campaign_id == cid, Chunk.seq == 2)
            .values(status=ChunkStatus.UNCERTAIN, claimed_at=now, error="read timed out")
        )
        conn.execute(
            text(
                "UPDATE recipient SET status = 'accepted', provider_ref = 'ref-7', code = 0 "
                "WHERE campaign_id = :c AND msisdn = :m"
            ),
            {"c": cid, "m": numbers[6]},
        )
    sign_in(api, tenant.key)
    svg = api.get(f"/ui/campaigns/{cid}/blocks.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "2 blocks" in svg.text and "pace 30/min" in svg.text
    page = api.get(f"/ui/campaigns/{cid}", params={"msisdn": "+57 " + numbers[6][2:]}).text
    assert "ref-7" in page and "accepted" in page
    assert "read timed out" in page and "provider's web report" in page
    assert "12345" in page  # the invalid sample
    assert f"/v1/campaigns/{cid}/recipients?format=csv" in page
    assert (
        "not a number Pregonero can send to"
        in api.get(f"/ui/campaigns/{cid}", params={"msisdn": "hello"}).text
    )
    # the export link works with the page's session
    export = api.get(f"/v1/campaigns/{cid}/recipients", params={"format": "csv"})
    assert export.status_code == 200 and export.text.startswith("msisdn,status")


def test_the_static_files_and_pages_need_nothing_from_elsewhere(
    api: TestClient, engine: Engine
) -> None:
    sign_in(api, a_tenant(engine).key)
    for path in ("/ui/campaigns", "/ui/accounts", "/ui/replies", "/ui/sign-in"):
        html = api.get(path).text
        assert "http://" not in html and "https://" not in html, path
    assert api.get("/ui/static/ui.js").status_code == 200
    assert api.get("/ui/static/ui.css").status_code == 200
