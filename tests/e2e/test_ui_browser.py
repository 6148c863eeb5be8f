"""The operator page in a real headless Chromium (Debian's package, driven by
Playwright) against a running stack: the API, workers, beat and the provider simulator.

An operator signs in, watches a campaign's progress advance while the simulator records
blocks, pauses it from the page (no request after the block in flight), resumes it, sees
the account paused for balance in words, and cancels through the confirmation.  A tenant
sees neither another tenant's campaign nor the balance.  A form posted without its CSRF
token is refused.  Screenshots land in build/ui-screenshots/."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import Stack
from dispatcher.domain.status import Role
from dispatcher.store import reads
from dispatcher.store.apikeys import create_key
from tests.builders import Numbers

# One stack, API and browser for the module: its tests run in the same parallel worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("ui-browser")]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "ui-screenshots"
INTERVAL = 0.5
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def signed_in(browser: Browser, api: str, key: str, viewport: dict[str, int] = DESKTOP) -> Page:
    page = browser.new_context(viewport=viewport, base_url=api).new_page()  # type: ignore[arg-type]
    page.goto("/ui")
    expect(page).to_have_url(re.compile(r"/ui/sign-in$"))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/campaigns$"))
    return page


def wait_for_new_percent(page: Page, before: str) -> str:
    page.wait_for_function(
        "before => document.querySelector('[data-field=percent]').textContent !== before",
        arg=before,
        timeout=30_000,
    )
    return str(page.locator("dd[data-field=percent]").text_content())


def test_an_operator_watches_pauses_and_resumes_a_campaign(
    stack: Stack, api: str, browser: Browser
) -> None:
    key = create_key(stack.engine, "operations", role=Role.OPERATOR)
    cid = stack.submit(Numbers(1)(30_000), name="Black Friday")
    page = signed_in(browser, api, key)
    expect(page.locator(f'tr[data-id="{cid}"]')).to_contain_text("Black Friday")
    shot(page, "1-campaigns-operator")

    page.get_by_role("link", name="Black Friday", exact=True).click()
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    requests_then = len(stack.sim.sim.records)
    first = str(page.locator("dd[data-field=percent]").text_content())
    second = wait_for_new_percent(page, first)
    third = wait_for_new_percent(page, second)
    assert float(third.rstrip("%")) > float(first.rstrip("%"))
    assert len(stack.sim.sim.records) > requests_then  # the simulator recorded the blocks
    assert page.evaluate("window.loadedOnce") is True  # updated in place, not reloaded
    shot(page, "2-campaign-sending")

    page.get_by_role("button", name="Pause").click()
    paused_at = time.time()  # the pause is committed before the page comes back
    expect(page.get_by_role("status")).to_contain_text("Paused: no new block starts")
    expect(page.locator("b[data-field=state]")).to_have_text("paused")
    wait_until(lambda: not stack.q("SELECT 1 FROM chunk WHERE status = 'sending'"), 30, "in flight")
    stack.wait_for_chore("feed", more=3)  # the feeder had its chances to send
    after_pause = [t for t in stack.request_starts() if t > paused_at]
    assert len(after_pause) <= 1, f"{len(after_pause)} requests after the pause"
    shot(page, "3-campaign-paused")

    requests_paused = len(stack.sim.sim.records)
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("status")).to_contain_text("Resumed")
    wait_until(lambda: len(stack.sim.sim.records) > requests_paused, 30, "sending again")
    stack.wait_completed(cid, timeout_s=120)
    expect(page.locator("b[data-field=state]")).to_have_text("completed", timeout=15_000)
    expect(page.locator("dd[data-field=accepted]")).to_have_text("30,000")
    assert stack.statuses(cid) == {"accepted": 30_000}
    assert stack.sim.sim.duplicates() == {}
    shot(page, "4-campaign-completed")

    # The balance runs out: beat polls it and pauses the account; the page says so.
    stack.sim.sim.configure({"balance": 0})
    waiting = stack.submit(Numbers(500_000)(3_000), name="After hours")
    page.goto("/ui/accounts")
    expect(page.locator('tr[data-account="default"] [data-field=state]')).to_contain_text(
        re.compile(r"paused for balance since \d\d:\d\d \(resumes by itself"), timeout=30_000
    )
    expect(page.locator('tr[data-account="default"] [data-field=balance]')).to_have_text("0.00")
    shot(page, "5-accounts-paused-for-balance")
    page.goto(f"/ui/campaigns/{waiting}")
    expect(page.locator("b[data-field=state]")).to_have_text(
        "waiting: its account is paused for balance", timeout=15_000
    )

    # A form posted without the page's token changes nothing.
    for form in ({}, {"csrf": "forged"}):
        refused = page.request.post(f"/ui/campaigns/{waiting}/cancel", form=form)
        assert refused.status == 403 and "security token" in refused.text()
    assert stack.campaign_status(waiting) in ("scheduled", "running")
    page.get_by_role("link", name="Cancel…").click()
    expect(page.get_by_role("heading", name="Cancel this campaign?")).to_be_visible()
    shot(page, "6-confirm-cancel")
    page.get_by_role("button", name="Cancel this campaign").click()
    expect(page.locator("b[data-field=state]")).to_have_text("cancelled before any number was sent")
    assert stack.statuses(waiting) == {"cancelled": 3_000}
    stack.sim.sim.configure({"balance": 1_000_000})


def test_a_tenant_sees_only_its_own_campaigns_and_no_balance(
    stack: Stack, api: str, browser: Browser
) -> None:
    acme_key = create_key(stack.engine, "acme")
    globex_key = create_key(stack.engine, "globex")
    theirs = stack.submit(
        Numbers(700_000)(10), tenant_id=reads.tenant_id(stack.engine, "acme"), name="Acme only"
    )
    ours = stack.submit(
        Numbers(800_000)(10), tenant_id=reads.tenant_id(stack.engine, "globex"), name="Globex"
    )
    page = signed_in(browser, api, globex_key)
    expect(page.locator(f'tr[data-id="{ours}"]')).to_be_visible()
    expect(page.locator(f'tr[data-id="{theirs}"]')).to_have_count(0)
    expect(page.get_by_label("Tenant")).to_have_count(0)  # no tenant filter for a tenant
    page.goto(f"/ui/campaigns/{theirs}")
    expect(page.get_by_role("alert")).to_contain_text("does not exist")
    shot(page, "7-tenant-other-campaign")
    through_api = page.evaluate(f"fetch('/v1/campaigns/{theirs}').then(r => r.status)")
    assert through_api == 404
    page.goto("/ui/accounts")
    expect(page.get_by_role("columnheader", name="Last balance")).to_have_count(0)
    balances = page.evaluate(
        "fetch('/v1/accounts').then(r => r.json()).then(a => a.map(x => x.last_balance))"
    )
    assert balances and all(b is None for b in balances)
    shot(page, "8-tenant-accounts")

    # Keyboard and labels: the skip link comes first, every field has a label.
    page.goto("/ui/campaigns")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]), select')]"
        ".filter(e => !e.labels.length && !e.getAttribute('aria-label')).length"
    )
    assert unlabelled == 0

    # On a phone: the same page, the table scrolls sideways inside its box.
    phone = signed_in(browser, api, acme_key, PHONE)
    phone.get_by_role("link", name="Acme only", exact=True).click()
    wide = phone.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"the page is {wide} px wide on a {PHONE['width']} px phone"
    shot(phone, "9-phone-campaign")


def test_the_page_says_what_each_campaign_waits_for(
    stack: Stack, api: str, browser: Browser
) -> None:
    """Three campaigns an operator must read right: one waiting for Ley 2300's next day,
    one whose start moved from a Sunday to the Monday, one cancelled part way."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    bogota = ZoneInfo("America/Bogota")
    key = create_key(stack.engine, "ops-words", role=Role.OPERATOR)
    numbers = Numbers(70)
    # Moved: a commercial campaign asked for next Sunday 10:00 starts Monday 07:00
    # (Ley 2300 opens at 07:00; with the provider's 08:00-21:00 window it is 08:00).
    today = datetime.now(bogota).date()
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    asked = datetime.combine(sunday, datetime.min.time(), bogota) + timedelta(hours=10)
    moved = stack.submit(numbers(3), name="Sunday promo", purpose="commercial", start_at=asked)
    # Daily limit: its only chunk waits for tomorrow, its numbers reached today (as a block
    # that moved them apart leaves it; the housekeeper keeps saying so).
    # (asked for Sunday too, so nothing feeds it before the test sets it up)
    daily = stack.submit(
        numbers(3), name="Second promo today", purpose="commercial", start_at=asked
    )
    opens = datetime.combine(today + timedelta(days=1), datetime.min.time(), bogota)
    opens += timedelta(hours=8)
    with stack.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(
            text(
                "UPDATE chunk SET status = 'deferred', waiting_reason = 'contact_limit', "
                "not_before = :at WHERE campaign_id = :c"
            ),
            {"at": opens, "c": daily},
        )
        conn.execute(
            text(
                "UPDATE campaign SET status = 'running', started_at = now(), "
                "waiting_reason = NULL, next_send_at = NULL WHERE id = :c"
            ),
            {"c": daily},
        )
    wait_until(
        lambda: (
            stack.q("SELECT waiting_reason FROM campaign WHERE id = :c", c=daily)
            == [("contact_limit",)]
        ),
        30,
        "the housekeeper to say it waits for the next day",
    )
    # Cancelled part way: 40 blocks, cancelled once the first are accepted.
    big = stack.submit(numbers(40_000), name="Cancelled halfway")
    wait_until(lambda: stack.statuses(big).get("accepted", 0) >= 2000, 60, "some blocks")
    from dispatcher.engine import steer

    steer.cancel_campaign(stack.engine, big, None)
    sent = stack.statuses(big)["accepted"]

    page = signed_in(browser, api, key)
    page.goto(f"/ui/campaigns/{daily}")
    state = page.locator("b[data-field=state]")
    expect(state).to_contain_text("waiting until tomorrow 08:00: the numbers left were reached")
    expect(page.locator("blockquote[data-field=message]")).to_have_text("hola")
    shot(page, "7-waiting-for-the-daily-limit")
    page.goto(f"/ui/campaigns/{moved}")
    # The suite's stack opens the provider's window all day, so Ley 2300's 07:00 rules.
    expect(state).to_contain_text("07:00: Ley 2300 allows no commercial messages on Sundays")
    expect(page.locator("figure.message figcaption")).to_contain_text(
        f"start asked for {sunday:%Y-%m-%d} 10:00 GMT-5"
    )
    shot(page, "8-start-moved-to-monday")
    page.goto(f"/ui/campaigns/{big}")
    expect(state).to_have_text(f"cancelled after {sent:,} of 40,000 were sent")
    done = float(str(page.locator("dd[data-field=percent]").text_content()).rstrip("%"))
    assert done == pytest.approx(100 * sent / 40_000, abs=0.1)  # not a full bar
    cancelled = page.locator("rect[data-seg=cancelled]")
    assert float(str(cancelled.get_attribute("width"))) > 0  # drawn apart
    shot(page, "9-cancelled-part-way")
