"""End-to-end bookings on the page: both demo locations, both locales, mouse and keyboard alone,
desktop and 375 px; each one is then cancelled from its manage link."""

from __future__ import annotations

import re

import pytest
from page_flow import (
    DESKTOP,
    MOBILE,
    cancel_from_manage,
    choose_service,
    choose_slot,
    choose_staff,
    enter_code,
    fill_contact,
    new_page,
    open_first_free_day,
    page_url,
    wait_done,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Pairwise: every location in both locales, every input mode at both widths.
CASES = [
    pytest.param(1, "en-US", "mouse", DESKTOP, False, id="riga-en-mouse-desktop"),
    pytest.param(1, "lv-LV", "keyboard", MOBILE, True, id="riga-lv-keyboard-375"),
    pytest.param(2, "lv-LV", "mouse", MOBILE, True, id="newyork-lv-mouse-375"),
    pytest.param(2, "en-US", "keyboard", DESKTOP, False, id="newyork-en-keyboard-desktop"),
]
TWELVE_HOUR = re.compile(r"^\d{1,2}:\d\d\s?[AP]M$")
TWENTY_FOUR = re.compile(r"^\d{1,2}:\d\d$")


@pytest.mark.parametrize(("form", "lang", "mode", "viewport", "any_member"), CASES)
def test_book_and_cancel(browser, stack, api, form, lang, mode, viewport, any_member):
    keyboard = mode == "keyboard"
    page = new_page(browser, viewport, locale=lang)
    page.goto(page_url(stack, form=form, lang=lang))
    expect(page.locator("html")).to_have_attribute("lang", lang)

    service = choose_service(page, keyboard)
    staff = choose_staff(page, keyboard, any_member)
    day = open_first_free_day(page, keyboard)
    if viewport is MOBILE:
        # after a day is picked on a phone, the slot list is scrolled into view: its title near the top, or
        # (a day with few times left, so the page ends before the title can rise) the whole list on screen
        page.wait_for_function(
            "() => { const r = document.querySelector('#slots-title').getBoundingClientRect();"
            " const list = document.querySelector('#slots').getBoundingClientRect();"
            " return r.top >= 0 && (r.top < innerHeight * 0.6 || list.bottom <= innerHeight); }"
        )
    first = page.locator("#slots button.slot .slot-time").first.inner_text().replace("\u202f", " ")
    assert (TWELVE_HOUR if lang == "en-US" else TWENTY_FOUR).match(first), first
    slot = choose_slot(page, keyboard, index=1)
    # slot buttons are named with time, full date and team member
    assert re.search(r"\b20\d\d\b", slot["label"]), slot["label"]
    if not any_member:
        assert staff in slot["label"]

    expect(page).to_have_url(re.compile(rf"date={day}.*time={slot['time']}"))
    has_sms = form == 1
    expect(page.locator("#agree")).to_have_count(1 if form == 1 else 0)
    expect(page.locator("#phone")).to_have_attribute("autocomplete", "tel")
    fill_contact(page, keyboard)
    if has_sms:
        enter_code(page, keyboard)
    booked = wait_done(page)

    # add-to-calendar file
    with page.expect_download() as dl:
        if keyboard:
            page.focus("#ics")
            page.keyboard.press("Enter")
        else:
            page.click("#ics")
    with open(dl.value.path(), encoding="utf-8") as f:
        ics = f.read().replace("\r\n ", "")
    assert "BEGIN:VEVENT" in ics and "DTSTART:" in ics
    assert f"#manage={booked['loc']}.{booked['id']}." in ics

    # the booking exists upstream
    status, body = api.altegio("GET", f"/book_record/{booked['loc']}/{booked['id']}/{booked['hash']}")
    assert status == 200, body

    # manage link in a fresh tab: view, then cancel
    manage = new_page(browser, viewport, locale=lang)
    manage.goto(booked["manage"])
    expect(manage.locator("#step-title")).to_be_visible()
    expect(manage.locator(".details")).to_contain_text(service)
    cancel_from_manage(manage, keyboard)
    status, body = api.altegio("GET", f"/book_record/{booked['loc']}/{booked['id']}/{booked['hash']}")
    data = body.get("data", body) if isinstance(body, dict) else {}
    assert status == 404 or (isinstance(data, dict) and data.get("deleted") in (True, 1)), (status, body)
    assert page.errors == [] and manage.errors == []
    page.context.close()
    manage.context.close()
