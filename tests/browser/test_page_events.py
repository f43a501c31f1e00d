"""Group events (Riga's demo has three, one of them full): listed by day with time, length, price and seats
left; a seat is booked with contact details and the SMS code; a full event says so, also when its last
seats go while the visitor fills the form."""

from __future__ import annotations

import re

import pytest
from page_flow import (
    CONTACT,
    DESKTOP,
    MOBILE,
    SMS_CODE,
    check_axe,
    new_page,
    page_url,
    tab_to,
    wait_done,
    wait_step,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
RIGA, OPEN, FULL, LATER = 101, 7101, 7102, 7103


def event_link(page, eid):
    return page.locator(f".card.event[data-event='{eid}']")


def fill(page, keyboard, seats="1"):
    page.wait_for_selector("#name")
    if keyboard:
        for f in ("name", "phone", "email"):
            tab_to(page, f"#{f}")
            page.keyboard.press("Control+A")
            page.keyboard.type(CONTACT[f])
        page.select_option("#seats", seats)  # a native select: the keyboard part is the browser's own
        tab_to(page, "#agree")
        page.keyboard.press("Space")
        tab_to(page, "#submit")
        page.keyboard.press("Enter")
    else:
        for f in ("name", "phone", "email"):
            page.fill(f"#{f}", CONTACT[f])
        page.select_option("#seats", seats)
        page.check("#agree")
        page.click("#submit")
    expect(page.locator("#code")).to_be_focused()  # Riga asks for the SMS code
    expect(page.locator("#code")).to_have_attribute("autocomplete", "one-time-code")


def send_code(page, keyboard):
    if keyboard:
        page.keyboard.type(SMS_CODE)
        page.keyboard.press("Enter")
    else:
        page.fill("#code", SMS_CODE)
        page.click("#submit")


def seat_record(api, booked):
    status, body = api.altegio("GET", f"/book_record/{booked['loc']}/{booked['id']}/{booked['hash']}")
    assert status == 200, body
    return body.get("data", body)


def test_book_a_seat_and_a_full_event_by_mouse(browser, stack, api, axe_source, shots_dir):
    page = new_page(browser, DESKTOP, axe=True)
    page.goto(page_url(stack, form=1))
    page.click("#events-link")
    wait_step(page, "events")
    expect(page.locator("#step-title")).to_be_focused()
    expect(event_link(page, FULL)).to_contain_text("Full")
    expect(event_link(page, FULL)).not_to_have_attribute("href", re.compile("."))
    expect(event_link(page, OPEN)).to_contain_text("8 seats left")
    expect(event_link(page, OPEN)).to_contain_text("1 hr, 30 min")
    expect(event_link(page, OPEN)).to_contain_text("35")
    days = page.locator(".events .group h2").all_inner_texts()
    assert len(days) == 3 and all(re.search(r"\w+day", d, re.I) for d in days), days
    check_axe(page, axe_source, "events at 1280px")
    page.screenshot(path=str(shots_dir / "1280-events-1-list.png"), full_page=True)
    # a full event, opened by its link: says so, no form
    page.goto(page_url(stack, form=1, event=FULL))
    expect(page.locator("#ev-full")).to_contain_text("full")
    expect(page.locator("#name")).to_have_count(0)
    check_axe(page, axe_source, "full event at 1280px")
    page.screenshot(path=str(shots_dir / "1280-events-2-full.png"), full_page=True)
    page.click("#ev-back")
    event_link(page, OPEN).click()
    wait_step(page, "event")
    check_axe(page, axe_source, "event form at 1280px")
    page.screenshot(path=str(shots_dir / "1280-events-3-form.png"), full_page=True)
    fill(page, keyboard=False, seats="2")
    send_code(page, keyboard=False)
    booked = wait_done(page)
    check_axe(page, axe_source, "seat booked at 1280px")
    page.screenshot(path=str(shots_dir / "1280-events-4-booked.png"), full_page=True)
    rec = seat_record(api, booked)
    assert (rec["activity_id"], rec["clients_count"]) == (OPEN, 2)
    page.goto(page_url(stack, form=1, events=1))
    expect(event_link(page, OPEN)).to_contain_text("6 seats left")
    assert page.errors == []


def test_last_seats_go_meanwhile_then_a_seat_by_keyboard(browser, stack, api, axe_source, shots_dir):
    page = new_page(browser, MOBILE, axe=True)
    page.goto(page_url(stack, form=1))
    page.wait_for_selector("#events-link")
    tab_to(page, "#events-link")
    page.keyboard.press("Enter")
    wait_step(page, "events")
    check_axe(page, axe_source, "events at 375px")
    page.screenshot(path=str(shots_dir / "375-events-1-list.png"), full_page=True)
    tab_to(page, f".card.event[data-event='{LATER}']")
    page.keyboard.press("Enter")
    wait_step(page, "event")
    fill(page, keyboard=True)
    # someone takes every seat left meanwhile
    other = {
        "fullname": "Whole Class",
        "phone": "+37120000190",
        "email": "class@example.com",
        "code": SMS_CODE,
    }
    api.call("POST", f"/book_code/{RIGA}", {"phone": other["phone"]})
    status, out = api.call("POST", f"/activity/{RIGA}/{LATER}/book", {**other, "clients_count": 10})
    assert status == 200, out
    send_code(page, keyboard=True)
    expect(page.locator("#ev-full")).to_contain_text("just filled up")
    check_axe(page, axe_source, "event filled meanwhile at 375px")
    page.screenshot(path=str(shots_dir / "375-events-2-filled.png"), full_page=True)
    tab_to(page, "#ev-back")
    page.keyboard.press("Enter")
    wait_step(page, "events")
    expect(event_link(page, LATER)).to_contain_text("Full")
    tab_to(page, f".card.event[data-event='{OPEN}']")
    page.keyboard.press("Enter")
    wait_step(page, "event")
    expect(page.locator("#name")).to_have_value(CONTACT["name"])  # remembered from the first try
    fill(page, keyboard=True)
    send_code(page, keyboard=True)
    booked = wait_done(page)
    assert seat_record(api, booked)["activity_id"] == OPEN
    assert page.errors == []
