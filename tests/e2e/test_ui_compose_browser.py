"""Starting campaigns from the page, in a real headless Chromium against a running stack
(API, worker, beat, provider simulator): a tenant uploads a 20,000-row CSV with
``{{nombre}}``, reads the counter, the first rows and the plan, sends a test, starts the
campaign with a double click (one campaign) and watches it complete at the simulator.
Templates stay with their tenant; an operator removes a suppression with a reason and
finds a number across two campaigns.  Screenshots land in build/ui-screenshots/."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from dispatcher.dev.stack import Stack
from dispatcher.domain.status import Role
from dispatcher.store.apikeys import create_key
from tests.e2e.test_ui_browser import PHONE, shot, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("ui-compose")]
NAMES = ("Ana", "Luis", "Marta", "José", "Camila", "Andrés", "Sofía", "Juan")
ROWS = 20_000
INTERVAL = 0.2  # the module's stack (tests/e2e/conftest.py): a fast pace


def people_csv(path: Path) -> dict[str, str]:
    """20,000 rows, ``celular,nombre``: eight names, so eight texts.  The text each
    number must get."""
    expected = {}
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["celular", "nombre"])
        for i in range(ROWS):
            name = NAMES[i % len(NAMES)]
            writer.writerow([f"311{i:07d}", name])
            expected[f"57311{i:07d}"] = f"Hola {name}, su pedido llegó ✓"
    return expected


def test_a_tenant_uploads_a_list_reviews_the_plan_tests_and_starts_a_campaign(
    stack: Stack, api: str, browser: Browser, tmp_path: Path
) -> None:
    path = tmp_path / "clientes.csv"
    expected = people_csv(path)
    page = signed_in(browser, api, stack.tenant_key)
    page.get_by_role("link", name="New campaign", exact=True).first.click()
    expect(page.get_by_role("heading", name="New campaign")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("Pedidos de diciembre")
    page.get_by_label("Numbers (CSV file)").set_input_files(str(path))
    expect(page.locator("#file-facts")).to_contain_text("clientes.csv")
    message = page.get_by_label("Message", exact=True)
    message.fill("Hola ")
    page.get_by_role("button", name="Insert the field nombre").click()  # from the header
    message.press("End")
    message.type(", su pedido llegó ✓")
    counter = page.locator("#counter")
    expect(counter).to_contain_text("UCS-2 because of: ó ✓")
    expect(counter).to_contain_text("1 segment")
    first = page.locator("#preview tbody tr").first
    expect(first).to_contain_text("Hola Ana, su pedido llegó ✓")
    expect(page.locator("#preview tbody tr")).to_have_count(5)
    expect(page.get_by_label("Number column")).to_contain_text("nombre")
    expect(page.locator("#starts")).to_contain_text("inside the permitted window")
    page.get_by_label("Convert to GSM-7").check()
    expect(page.locator("#converted")).to_contain_text("Sent as: Hola {{nombre}}")
    page.get_by_label("Convert to GSM-7").uncheck()
    expect(page.locator("#converted")).to_be_hidden()
    expect(counter).to_contain_text("UCS-2 because of: ó ✓")
    shot(page, "compose-1-counter-and-preview")

    # A test: two numbers, the first row's fields, a campaign of its own marked as a test.
    page.get_by_label("Test numbers").fill("320 555 0001, 320 555 0002")
    page.get_by_role("button", name="Send a test").click()
    outcome = page.locator("#test-outcome")
    expect(outcome).to_contain_text("completed", timeout=30_000)
    expect(outcome).to_contain_text("2 accepted")
    tests = [r for r in stack.sim.sim.records if "573205550001" in r.numbers]
    assert [r.text for r in tests] == ["Hola Ana, su pedido llegó ✓"]
    shot(page, "compose-2-test-sent")

    page.get_by_role("button", name="Review").click()
    review = page.locator("#check")
    expect(review).to_be_visible(timeout=30_000)
    expect(page.locator("#counts")).to_contain_text("20,000")
    plan = page.locator("#plan")
    expect(plan).to_contain_text("8 texts")
    expect(plan).to_contain_text("24 requests")
    expect(plan).to_contain_text("done by")
    shot(page, "compose-3-review")
    page.get_by_role("button", name="Back").click()
    expect(message).to_have_value("Hola {{nombre}}, su pedido llegó ✓")  # kept
    page.get_by_role("button", name="Review").click()
    expect(review).to_be_visible(timeout=30_000)

    page.get_by_role("button", name="Start campaign").dblclick()
    expect(page).to_have_url(re.compile(r"/ui/campaigns/\d+\?done=created$"), timeout=30_000)
    made = stack.q("SELECT id, test FROM campaign WHERE name = 'Pedidos de diciembre'")
    assert len(made) == 1 and made[0].test is False  # a double click made one campaign
    cid = made[0].id
    stack.wait_completed(cid, timeout_s=120)
    expect(page.locator("[data-field=state]").first).to_contain_text("completed", timeout=15_000)
    shot(page, "compose-4-completed")

    records = [r for r in stack.sim.sim.records if r.numbers[0].startswith("57311")]
    got = Counter(n for r in records for n in r.accepted)
    assert set(got) == set(expected) and max(got.values()) == 1  # each number once
    assert {n: r.text for r in records for n in r.accepted} == expected
    assert len(records) == 24  # as the plan said


def test_the_new_campaign_form_is_usable_on_a_phone_and_shows_a_big_uploads_progress(
    stack: Stack, api: str, browser: Browser, tmp_path: Path
) -> None:
    big = tmp_path / "grande.csv"  # 3 MB: 2,000 numbers and a wide column the message skips
    padding = "x" * 1_500
    big.write_text("celular,notas\n" + "".join(f"312{i:07d},{padding}\n" for i in range(2_000)))
    page = signed_in(browser, api, stack.tenant_key, viewport=PHONE)
    page.goto("/ui/campaigns/new")
    page.get_by_label("Message", exact=True).fill("Hola “todos”")
    expect(page.locator("#counter")).to_contain_text("UCS-2 because of: “ ”")
    page.get_by_label("Name", exact=True).fill("Grande")
    page.get_by_label("Numbers (CSV file)").set_input_files(str(big))
    expect(page.locator("#file-facts")).to_contain_text("the upload shows its progress")
    page.evaluate(  # remember whether the progress bar was ever shown
        "new MutationObserver(() => { if (!document.getElementById('upload').hidden)"
        " window.progressShown = true; }).observe(document.getElementById('upload'),"
        " {attributes: true})"
    )
    page.get_by_role("button", name="Review").click()
    expect(page.locator("#counts")).to_contain_text("2,000", timeout=30_000)
    assert page.evaluate("window.progressShown === true")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], wide
    page.keyboard.press("Tab")  # reachable by keyboard: the skip link first
    shot(page, "compose-390")


def test_a_saved_template_is_its_tenants_alone(stack: Stack, api: str, browser: Browser) -> None:
    mine = create_key(stack.engine, "tienda-norte")
    theirs = create_key(stack.engine, "tienda-sur")
    page = signed_in(browser, api, mine)
    page.get_by_role("link", name="Templates").click()
    page.get_by_label("Name").fill("Recordatorio de pago")
    page.get_by_label("Message").fill("Hola {{nombre}}, su factura vence el {{fecha|viernes}}")
    page.get_by_label("Purpose").select_option("collection")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator("p.done")).to_contain_text("The template is saved.")
    expect(page.locator("#saved")).to_contain_text("Recordatorio de pago")
    shot(page, "compose-5-templates")
    page.goto("/ui/campaigns/new")
    page.get_by_label("Start from a template").select_option(label="Recordatorio de pago")
    expect(page.get_by_label("Message", exact=True)).to_have_value(
        "Hola {{nombre}}, su factura vence el {{fecha|viernes}}"
    )
    expect(page.get_by_label("Purpose")).to_have_value("collection")

    other = signed_in(browser, api, theirs)
    other.goto("/ui/templates")
    expect(other.locator("main")).to_contain_text("No templates yet.")
    other.goto("/ui/campaigns/new")
    expect(other.locator("#template")).to_have_count(0)
    shot(other, "compose-6-other-tenant-templates")


def test_an_operator_removes_a_suppression_with_a_reason_and_finds_a_number(
    stack: Stack, api: str, browser: Browser
) -> None:
    number = "573209876501"
    first = stack.submit([number, "573209876502"], name="Primera")
    second = stack.submit([number], name="Segunda")
    stack.wait_completed(first, timeout_s=60)
    stack.wait_completed(second, timeout_s=60)
    tenant = httpx.post(
        f"{api}/v1/suppressions",
        json={"numbers": [number], "reason": "customer_request"},
        headers={"Authorization": f"Bearer {stack.tenant_key}"},
    )
    assert tenant.status_code == 200, tenant.text
    key = create_key(stack.engine, "operaciones", role=Role.OPERATOR)
    page = signed_in(browser, api, key)
    page.get_by_role("link", name="Suppressions").click()
    page.get_by_label("Number", exact=True).fill("320 987 6501")
    page.get_by_role("button", name="Search").click()
    row = page.locator(f'#suppressions tr[data-msisdn="{number}"]')
    expect(row).to_contain_text("customer_request")
    shot(page, "compose-7-suppressions")
    row.get_by_role("link", name=re.compile("Remove")).click()
    page.get_by_role("button", name="Remove from the list").click()  # no reason: refused
    expect(page).to_have_url(re.compile(r"/ui/suppressions/remove\?"))
    page.get_by_label("Reason (required)").fill("the customer asked to hear from us again")
    shot(page, "compose-8-remove-with-reason")
    page.get_by_role("button", name="Remove from the list").click()
    expect(page.locator("p.done")).to_contain_text("The number is off the list")
    removed = stack.q("SELECT why FROM suppression_removal WHERE msisdn = :n", n=number)
    assert [r.why for r in removed] == ["the customer asked to hear from us again"]

    page.get_by_role("link", name="Find a number").click()
    page.get_by_label("Number", exact=True).fill("3209876501")
    page.get_by_role("button", name="Find").click()
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Segunda")
    expect(history.nth(0)).to_contain_text("accepted")
    expect(history.nth(1)).to_contain_text("Primera")
    expect(page.locator("#suppressed-now")).to_contain_text("Not suppressed")
    shot(page, "compose-9-find-a-number")
