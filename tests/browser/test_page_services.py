"""Several services in one visit (booking form 3 allows it): toggle two services, see the visit's total
length and price range, only services, team members, days and times that fit them all; the booking
carries both services."""

from __future__ import annotations

import re

import pytest
from page_flow import (
    DESKTOP,
    MOBILE,
    check_axe,
    choose_slot,
    choose_staff,
    enter_code,
    fill_contact,
    new_page,
    open_first_free_day,
    page_url,
    tab_to,
    wait_done,
    wait_step,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
HAIRCUT, COLOURING, MANICURE = 10011, 10013, 10021
ANNA = "Anna Ozola"  # the one who does both


def card(page, sid):
    return page.locator(f"button.card.svc[data-id='{sid}']")


@pytest.mark.parametrize(
    ("mode", "viewport"), [("mouse", DESKTOP), ("keyboard", MOBILE)], ids=["mouse-1280", "keyboard-375"]
)
def test_two_service_booking(browser, stack, api, axe_source, shots_dir, mode, viewport):
    keyboard, w = mode == "keyboard", viewport["width"]
    page = new_page(browser, viewport, axe=True)
    page.goto(page_url(stack, form=3))
    wait_step(page, "service")
    expect(page.locator("#services-next")).to_have_attribute("aria-disabled", "true")
    for sid in (HAIRCUT, COLOURING):
        if keyboard:
            tab_to(page, f"button.card.svc[data-id='{sid}']")
            page.keyboard.press("Enter")
        else:
            card(page, sid).click()
        expect(card(page, sid)).to_have_attribute("aria-pressed", "true")
    total = page.locator("#basket-total")
    expect(total).to_contain_text("2 services")
    expect(total).to_contain_text("3")  # 1 h + 2 h
    expect(total).to_contain_text("135")  # 45 + 90 …
    expect(total).to_contain_text("200")  # … to 60 + 140
    # nobody does a manicure with both: not offered, and it says why
    expect(card(page, MANICURE)).to_be_disabled()
    expect(card(page, MANICURE)).to_contain_text("Can't be combined")
    check_axe(page, axe_source, f"services at {w}px")
    page.screenshot(path=str(shots_dir / f"{w}-services-1-two-chosen.png"), full_page=True)
    if keyboard:
        tab_to(page, "#services-next")
        page.keyboard.press("Enter")
    else:
        page.click("#services-next")
    wait_step(page, "master")
    expect(page).to_have_url(re.compile(rf"service={HAIRCUT},{COLOURING}"))
    page.wait_for_selector("button.card.staff")
    names = page.locator("button.card.staff .card-title").all_inner_texts()
    assert names[1:] == [ANNA], names  # "any team member", then only who fits both
    summary = page.locator("#summary")
    expect(summary).to_contain_text("Women's haircut + Hair colouring")
    choose_staff(page, keyboard, any_member=keyboard)
    open_first_free_day(page, keyboard)
    check_axe(page, axe_source, f"two-service times at {w}px")
    page.screenshot(path=str(shots_dir / f"{w}-services-2-times.png"), full_page=True)
    slot = choose_slot(page, keyboard, index=0)
    fill_contact(page, keyboard)
    enter_code(page, keyboard)
    booked = wait_done(page)
    status, body = api.altegio("GET", f"/book_record/{booked['loc']}/{booked['id']}/{booked['hash']}")
    assert status == 200, body
    rec = body.get("data", body)
    assert sorted(s["id"] for s in rec["services"]) == [HAIRCUT, COLOURING]
    assert rec["length"] == 3 * 3600 and rec["staff"]["name"] == ANNA
    assert rec["datetime"][11:16] == slot["time"]
    expect(page.locator(".details")).to_contain_text("Women's haircut + Hair colouring")
    assert page.errors == []
