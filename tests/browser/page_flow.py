"""Step helpers shared by the booking-page tests: one booking, by mouse or by keyboard alone."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

SMS_CODE = "123456"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 740}
TIMEOUT = 15_000
# Every context a test opens, closed after it even when it fails (conftest): a page left open would go on
# re-checking its slot every minute and send requests into later tests.
OPEN_CONTEXTS: list = []
# TEST_NOW (date matrix): the sandbox's current instant, set by conftest; each new page's clock starts there,
# so the page's "today" is the sandbox's. None: the browser keeps the real clock.
NOW: Callable[[], datetime] | None = None


def new_page(
    browser, viewport, *, locale="en-US", reduced_motion="no-preference", tz="America/Los_Angeles", axe=False
) -> Page:
    """axe=True lets the test inject axe-core past the page's Content-Security-Policy (script-src 'self');
    every other page runs under the real policy, so a CSP violation of the page itself fails its test."""
    ctx = browser.new_context(
        bypass_csp=axe,
        viewport=viewport,
        locale=locale,
        timezone_id=tz,
        reduced_motion=reduced_motion,
        accept_downloads=True,
        is_mobile=viewport["width"] < 500,
        has_touch=viewport["width"] < 500,
    )
    OPEN_CONTEXTS.append(ctx)
    if NOW is not None:
        ctx.clock.install(time=NOW())  # time then flows on from there, as the sandbox's does
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def page_url(stack, **params) -> str:
    q = urlencode({k: v for k, v in params.items() if v is not None})
    return stack.page_url + (f"?{q}" if q else "")


def check_axe(page: Page, axe_source: str, label: str) -> None:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"""
    )
    assert violations == [], f"axe violations on {label}:\n{json.dumps(violations, indent=1)}"


def step(page: Page) -> str:
    return page.evaluate("() => document.body.dataset.step || ''")


def wait_step(page: Page, name: str) -> None:
    page.wait_for_function("n => document.body.dataset.step === n", arg=name)
    page.wait_for_selector("#step-title")


def settle(page: Page) -> None:
    """Wait until no skeleton or busy region is left."""
    page.wait_for_function("() => !document.querySelector('#view [aria-busy=\"true\"], #view .skel')")


# ---------- keyboard ----------
def tab_to(page: Page, selector: str, limit: int = 60, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches selector."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"keyboard focus never reached {selector}")


def focused(page: Page, js: str = "el => el.outerHTML.slice(0, 200)"):
    return page.evaluate(f"() => ({js})(document.activeElement)")


# ---------- steps ----------
def choose_service(page: Page, keyboard: bool) -> str:
    wait_step(page, "service")
    settle(page)
    btn = page.locator("button.card.svc").first
    title = btn.locator(".card-title").inner_text()
    if keyboard:
        tab_to(page, "button.card.svc")
        page.keyboard.press("Enter")
    else:
        btn.click()
    return title


def choose_staff(page: Page, keyboard: bool, any_member: bool) -> str:
    wait_step(page, "master")
    settle(page)
    sel = "button.card.staff:not([disabled])"
    cards = page.locator(sel)
    target = cards.first if any_member else cards.nth(1)
    name = target.locator(".card-title").inner_text()
    if keyboard:
        tab_to(page, sel)
        if not any_member:
            page.keyboard.press("Tab")
        assert focused(page, "el => el.querySelector('.card-title').textContent") == name
        page.keyboard.press("Enter")
    else:
        target.click()
    return name


def open_first_free_day(page: Page, keyboard: bool) -> str:
    """Pick the first bookable day in the calendar; returns its ISO date."""
    wait_step(page, "datetime")
    return pick_free_day(page, keyboard)


def pick_free_day(page: Page, keyboard: bool) -> str:
    """In the month grid on screen (a booking, or moving one), the first bookable day; its ISO date."""
    page.wait_for_selector("table.grid[aria-busy='false']")
    for _ in range(3):  # the month may have no free day left: move on
        if page.locator("button.day.free").count():
            break
        page.locator(".cal-head button").last.click() if not keyboard else None
        if keyboard:
            tab_to(page, "table.grid button[tabindex='0']")
            page.keyboard.press("PageDown")
        page.wait_for_selector("table.grid[aria-busy='false']")
    day = page.locator("button.day.free").first
    iso = day.get_attribute("data-date")
    if keyboard:
        tab_to(page, "table.grid button[tabindex='0']")
        for _ in range(45):
            if focused(page, "el => el.dataset.date") == iso:
                break
            cur = focused(page, "el => el.dataset.date")
            page.keyboard.press("ArrowRight" if cur < iso else "ArrowLeft")
        assert focused(page, "el => el.dataset.date") == iso
        page.keyboard.press("Enter")
    else:
        day.click()
    page.wait_for_selector("#slots button.slot")
    return iso


def choose_slot(page: Page, keyboard: bool, index: int = 0) -> dict:
    slots = page.locator("#slots button.slot")
    index = min(index, slots.count() - 1)  # a day late in its evening may have one time left
    btn = slots.nth(index)
    info = {"time": btn.get_attribute("data-time"), "label": btn.text_content(), "text": btn.inner_text()}
    if keyboard:
        tab_to(page, "#slots button.slot")
        for _ in range(index):
            page.keyboard.press("Tab")
        assert focused(page, "el => el.dataset.time") == info["time"]
        page.keyboard.press("Enter")
    else:
        btn.click()
    wait_step(page, "contact")
    return info


CONTACT = {
    "name": "Ilze Test",
    "phone": "+37120000001",
    "email": "ilze@example.com",
    "comment": "First visit",
}


def fill_contact(page: Page, keyboard: bool, data: dict = CONTACT) -> None:
    page.wait_for_selector("#name")
    if keyboard:
        tab_to(page, "#name")
        for field in ("name", "phone", "email", "comment"):
            tab_to(page, f"#{field}")
            page.keyboard.press("Control+A")
            page.keyboard.type(data[field])
        if page.locator("#agree").count():
            tab_to(page, "#agree")
            page.keyboard.press("Space")
        tab_to(page, "#submit")
        page.keyboard.press("Enter")
    else:
        for field in ("name", "phone", "email", "comment"):
            page.fill(f"#{field}", data[field])
        if page.locator("#agree").count():
            page.check("#agree")
        page.click("#submit")


def enter_code(page: Page, keyboard: bool, code: str = SMS_CODE) -> None:
    wait_step(page, "sms")
    inp = page.locator("#code")
    expect(inp).to_have_attribute("autocomplete", "one-time-code")
    expect(inp).to_have_attribute("inputmode", "numeric")
    if keyboard:
        tab_to(page, "#code")
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    else:
        inp.fill(code)
        page.click("#submit")


def wait_done(page: Page) -> dict:
    page.wait_for_function("() => document.body.dataset.step === 'done'")
    expect(page.locator("#step-title")).to_be_focused()
    href = page.locator("#manage-link").get_attribute("href")
    m = re.search(r"#manage=(\d+)\.(\d+)\.([\w-]+)$", href)
    assert m, href
    return {"manage": href, "loc": int(m[1]), "id": int(m[2]), "hash": m[3]}


def cancel_from_manage(page: Page, keyboard: bool) -> None:
    page.wait_for_selector("#cancel")
    expect(page.locator("#rec-status")).to_have_class(re.compile(r"\bok\b"))
    if keyboard:
        tab_to(page, "#cancel")
        page.keyboard.press("Enter")
        expect(page.locator("#dlg-no")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.locator("#dlg-yes")).to_be_focused()
        page.keyboard.press("Enter")
    else:
        page.click("#cancel")
        page.click("#dlg-yes")
    expect(page.locator("#rec-status")).to_have_class(re.compile(r"\bbad\b"))
    expect(page.locator("#dialog")).not_to_be_visible()
