"""My appointments: log in with phone + SMS code (the demo visitor has one upcoming and two past
appointments), move one, cancel one, log out (everything remembered is cleared). The user token stays in
sessionStorage: never in a URL."""

from __future__ import annotations

import json

import pytest
from page_flow import DESKTOP, MOBILE, SMS_CODE, check_axe, new_page, page_url, tab_to, wait_step
from playwright.sync_api import expect
from test_page_reschedule import confirm, pick_time, sign_in

pytestmark = pytest.mark.browser
DEMO_PHONE = "+37120000001"


def mine(api, token):
    status, body = api.call_as(token, "GET", "/user/records/1/0")
    assert status == 201, body
    return {r["id"]: r for r in body["data"]}


@pytest.fixture
def api_user(api):
    """The API fixture, plus calls as the signed-in visitor (the token the page got)."""
    import urllib.error
    import urllib.request

    def call_as(token, method, path):
        req = urllib.request.Request(
            api.base + path,
            method=method,
            headers={
                "Accept": "application/vnd.api.v2+json",
                "Authorization": f"User {token}",
                **({"x-api-key": api.key} if api.key else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    api.call_as = call_as
    return api


@pytest.mark.parametrize(
    ("mode", "viewport"), [("mouse", DESKTOP), ("keyboard", MOBILE)], ids=["mouse-1280", "keyboard-375"]
)
def test_cabinet_log_in_list_move_cancel_log_out(
    browser, stack, api_user, axe_source, shots_dir, mode, viewport
):
    keyboard, w = mode == "keyboard", viewport["width"]
    page = new_page(browser, viewport, axe=True)
    page.goto(page_url(stack, form=1))
    page.wait_for_selector("button.card.svc")
    # contact details remembered from an earlier booking in this tab
    page.evaluate(
        "p => sessionStorage.setItem('bk.contact', JSON.stringify({name: 'Demo Visitor', phone: p}))",
        DEMO_PHONE,
    )
    if keyboard:
        tab_to(page, "#acct")
        page.keyboard.press("Enter")
    else:
        page.click("#acct")
    wait_step(page, "cabinet")
    expect(page.locator("#step-title")).to_be_focused()
    expect(page.locator("#acc-phone")).to_have_value(DEMO_PHONE)  # prefilled from the remembered details
    check_axe(page, axe_source, f"cabinet sign-in at {w}px")
    page.screenshot(path=str(shots_dir / f"{w}-cabinet-1-sign-in.png"), full_page=True)
    sign_in(page, DEMO_PHONE, keyboard)
    page.wait_for_selector("#logout")
    token = json.loads(page.evaluate("() => sessionStorage.getItem('bk.user')"))["token"]
    assert token and token not in page.url
    upcoming = page.locator("[aria-labelledby='cab-next'] li")
    past = page.locator("[aria-labelledby='cab-past'] li")
    expect(upcoming).to_have_count(1)
    expect(past).to_have_count(2)
    check_axe(page, axe_source, f"cabinet list at {w}px")
    page.screenshot(path=str(shots_dir / f"{w}-cabinet-2-list.png"), full_page=True)
    record_id = int(upcoming.first.locator("[data-move]").get_attribute("data-move"))
    before = mine(api_user, token)[record_id]

    # move it
    if keyboard:
        tab_to(page, "[data-move]")
        page.keyboard.press("Enter")
    else:
        page.click("[data-move]")
    wait_step(page, "move")
    chosen = pick_time(page, keyboard, index=1)
    confirm(page, keyboard)
    expect(page.locator("#step-title")).to_have_text("Your appointment has been moved")
    after = mine(api_user, token)[record_id]
    assert after["datetime"][:16] == f"{chosen['date']}T{chosen['time']}" != before["datetime"][:16]
    assert after["staff"]["id"] == before["staff"]["id"]
    if keyboard:
        tab_to(page, "#cabinet-link")
        page.keyboard.press("Enter")
    else:
        page.click("#cabinet-link")
    wait_step(page, "cabinet")
    page.wait_for_selector("#logout")

    # cancel it
    if keyboard:
        tab_to(page, "[data-cancel]")
        page.keyboard.press("Enter")
        expect(page.locator("#dlg-no")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.locator("#dlg-yes")).to_be_focused()
        check_axe(page, axe_source, f"cabinet cancel dialog at {w}px")
        page.keyboard.press("Enter")
    else:
        page.click("[data-cancel]")
        expect(page.locator("#dialog")).to_be_visible()
        page.screenshot(path=str(shots_dir / f"{w}-cabinet-3-cancel.png"), full_page=True)
        page.click("#dlg-yes")
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(upcoming).to_have_count(0)
    expect(past).to_have_count(3)
    expect(page.locator("#live")).to_contain_text("cancelled")
    assert mine(api_user, token)[record_id]["deleted"] in (True, 1)
    check_axe(page, axe_source, f"cabinet after cancelling at {w}px")

    # log out: token and remembered details gone, the sign-in form back
    if keyboard:
        tab_to(page, "#logout")
        page.keyboard.press("Enter")
    else:
        page.click("#logout")
    page.wait_for_selector("#acc-phone")
    expect(page.locator(".cabinet .status.ok")).to_be_visible()
    assert page.evaluate("() => Object.keys(sessionStorage)") == []
    expect(page.locator("#acc-phone")).to_have_value("")
    page.screenshot(path=str(shots_dir / f"{w}-cabinet-4-logged-out.png"), full_page=True)
    assert SMS_CODE not in page.url
    assert page.errors == []
