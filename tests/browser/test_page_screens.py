"""Every step at 1280 and 375 px: axe-core finds no violations, and a screenshot of each step is
written to test-artifacts/screenshots/ (the CI artifacts)."""

from __future__ import annotations

import pytest
from page_flow import (
    DESKTOP,
    MOBILE,
    check_axe,
    choose_service,
    choose_slot,
    choose_staff,
    new_page,
    open_first_free_day,
    page_url,
    settle,
    wait_done,
    wait_step,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280", "375"])
def test_every_step_accessible_with_screenshots(browser, stack, axe_source, shots_dir, viewport):
    w = viewport["width"]
    page = new_page(browser, viewport, axe=True)
    n = 0

    def snap(name):
        nonlocal n
        n += 1
        check_axe(page, axe_source, f"{name} at {w}px")
        page.screenshot(path=str(shots_dir / f"{w}-{n:02d}-{name}.png"), full_page=True)

    page.goto(page_url(stack, form=1))
    choose_service_ready = page.locator("button.card.svc").first
    expect(choose_service_ready).to_be_visible()
    snap("service")
    choose_service(page, False)
    wait_step(page, "master")
    settle(page)
    snap("team-member")
    choose_staff(page, False, any_member=True)
    wait_step(page, "datetime")
    page.wait_for_selector("table.grid[aria-busy='false']")
    page.wait_for_selector(".earliest .chip")
    snap("calendar")
    open_first_free_day(page, False)
    snap("times")
    choose_slot(page, False, index=2)
    page.wait_for_selector("#hold.ok")
    snap("contact")
    page.click("#submit")  # empty form: errors tied to their fields
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name")).to_be_focused()
    described = page.get_attribute("#name", "aria-describedby")
    assert "name-err" in described
    expect(page.locator("#name-err")).not_to_be_empty()
    expect(page.locator("#form-error")).to_be_visible()
    snap("contact-errors")
    page.fill("#name", "Anna Test")
    page.fill("#phone", "+37120000002")
    page.fill("#email", "anna@example.com")
    page.check("#agree")
    page.click("#submit")
    wait_step(page, "sms")
    expect(page.locator("#resend")).to_have_attribute("aria-disabled", "true")
    snap("sms-code")
    page.fill("#code", "000000")
    page.click("#submit")
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    snap("sms-wrong-code")
    page.fill("#code", "123456")
    page.click("#submit")
    booked = wait_done(page)
    snap("confirmation")
    page.goto(booked["manage"])
    page.wait_for_selector("#cancel")
    snap("manage")
    page.click("#cancel")
    expect(page.locator("#dialog")).to_be_visible()
    snap("cancel-dialog")
    page.click("#dlg-yes")
    expect(page.locator("#rec-status.bad")).to_be_visible()
    snap("cancelled")
    assert page.errors == []
    page.context.close()


def test_reduced_motion_turns_animation_off(browser, stack):
    probe = """() => { const d = document.createElement('div'); d.className = 'skel'; document.body.append(d);
                       const a = getComputedStyle(d).animationName; d.remove(); return a; }"""
    for motion, want in (("no-preference", "shimmer"), ("reduce", "none")):
        page = new_page(browser, DESKTOP, reduced_motion=motion)
        page.goto(page_url(stack, form=1))
        assert page.evaluate(probe) == want, motion
        page.context.close()
