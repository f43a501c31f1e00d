"""The gateway's abuse limits as the visitor meets them: a phone that had too many SMS codes, and a phone
locked after too many wrong codes, are told so in words with the wait ("try again in 55 minutes"), in
the page's language, in the form's alert (read out by screen readers), and the booking is not made.
Time moves on the gateway's clock (tests/conftest.py `clock`), not by waiting."""

from __future__ import annotations

import re

import pytest
from page_flow import (
    DESKTOP,
    MOBILE,
    SMS_CODE,
    check_axe,
    choose_service,
    choose_slot,
    choose_staff,
    enter_code,
    fill_contact,
    new_page,
    open_first_free_day,
    page_url,
    settle,
    wait_step,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
RIGA_FORM, RIGA = 1, 101
TOO_MANY = {
    "en-US": re.compile(r"Too many codes have been requested\. Please try again in 55 minutes\."),
    "lv-LV": re.compile(r"Pieprasīts pārāk daudz kodu\..*atlikušais laiks: 55 minūtes"),
    "de-DE": re.compile(r"zu viele Codes angefordert\. Bitte versuchen Sie es in 55 Minuten erneut\."),
}
# The lock is 15 minutes from the fifth wrong code; the gateway's budget waits move its clock on a little.
LOCKED = re.compile(r"zu oft falsche Codes eingegeben.*Bitte versuchen Sie es in 1[0-5] Minuten erneut\.")


def to_contact(browser, stack, lang, viewport, keyboard, axe=False):
    page = new_page(browser, viewport, locale=lang, axe=axe)
    page.goto(page_url(stack, form=RIGA_FORM, lang=lang))
    choose_service(page, keyboard)
    choose_staff(page, keyboard, any_member=True)
    open_first_free_day(page, keyboard)
    choose_slot(page, keyboard)
    return page


def phone_of(n: int) -> str:
    return f"+3712900{n:04d}"


@pytest.mark.parametrize(
    ("lang", "viewport", "mode"),
    [("en-US", DESKTOP, "mouse"), ("lv-LV", MOBILE, "keyboard"), ("de-DE", DESKTOP, "keyboard")],
)
def test_a_phone_with_too_many_codes_is_told_when_to_try_again(
    browser, stack, api, clock, axe_source, lang, viewport, mode
):
    phone = phone_of(1)
    for _ in range(5):  # five codes within the hour, a minute apart: the sixth is refused for 55 minutes
        assert api.call("POST", f"/book_code/{RIGA}", {"phone": phone})[0] == 201
        clock.advance(61)
    keyboard = mode == "keyboard"
    page = to_contact(browser, stack, lang, viewport, keyboard, axe=True)
    fill_contact(page, keyboard, {"name": "Ilze Test", "phone": phone, "email": "", "comment": ""})
    alert = page.locator("#form-error")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_have_text(TOO_MANY[lang])
    assert page.evaluate("() => document.body.dataset.step") == "contact"  # nothing to enter a code for
    settle(page)
    check_axe(page, axe_source, f"too many codes ({lang})")
    assert page.errors == []


def test_a_locked_phone_is_told_and_nothing_is_booked(browser, stack, api, clock):
    phone = phone_of(2)
    for _ in range(5):  # five wrong codes lock the phone for 15 minutes
        status, body = api.call("POST", "/user/auth", {"phone": phone, "code": "000000"})
        assert status == 422, body
    before = len([a for a in stack.sandbox.appointments() if not a["demo"]])
    page = to_contact(browser, stack, "de-DE", DESKTOP, keyboard=False)
    fill_contact(page, False, {"name": "Ilze Test", "phone": phone, "email": "", "comment": ""})
    enter_code(page, keyboard=False, code=SMS_CODE)  # the right code, but the phone is locked
    expect(page.locator("#form-error")).to_have_text(LOCKED)
    wait_step(page, "sms")
    assert len([a for a in stack.sandbox.appointments() if not a["demo"]]) == before
    assert page.errors == []


def test_a_code_sent_moments_ago_still_works_after_going_back(browser, stack, api, clock):
    """Back from the code step and on again within the minute: the gateway refuses a second SMS, and the
    page goes on to the code step with the one already sent, its resend button counting down."""
    phone = phone_of(3)
    page = to_contact(browser, stack, "en-US", DESKTOP, keyboard=False)
    contact = {"name": "Ilze Test", "phone": phone, "email": "", "comment": ""}
    fill_contact(page, False, contact)
    wait_step(page, "sms")
    page.go_back()
    wait_step(page, "contact")
    fill_contact(page, False, contact)
    wait_step(page, "sms")
    expect(page.locator("#resend")).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#resend")).to_have_text(re.compile(r"New code in 0:\d\d"))
    enter_code(page, keyboard=False)
    page.wait_for_function("() => document.body.dataset.step === 'done'")
