"""A slot taken between viewing and booking: the page keeps what was typed, refreshes the day and
offers the three nearest times inline; times are also refetched when the tab regains focus."""

from __future__ import annotations

import json
import re

import pytest
from page_flow import (
    CONTACT,
    DESKTOP,
    MOBILE,
    SMS_CODE,
    check_axe,
    choose_service,
    choose_slot,
    choose_staff,
    new_page,
    open_first_free_day,
    page_url,
    wait_done,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _slot_of(page, time):
    """service, staff and datetime of the chosen slot, as the page will send them."""
    return page.evaluate(
        """t => { const q = new URLSearchParams(location.search);
        return {service: +q.get('service'), staff: +q.get('staff'), date: q.get('date'), time: t}; }""",
        time,
    )


def _take(api, loc, slot):
    """Book the same member at the same time behind the page's back."""
    status, times = api.call(
        "GET", f"/book_times/{loc}/{slot['staff']}/{slot['date']}?service_ids%5B%5D={slot['service']}"
    )
    assert status == 200, times
    dt = next(s["datetime"] for s in times["data"] if s["time"] == slot["time"])
    body = {
        "phone": "+12125550199",
        "fullname": "Someone Else",
        "email": "",
        "code": SMS_CODE,
        "appointments": [{"id": 1, "services": [slot["service"]], "staff_id": slot["staff"], "datetime": dt}],
    }
    api.call("POST", f"/book_code/{loc}", {"phone": body["phone"], "fullname": body["fullname"]})
    status, out = api.call("POST", f"/book_record/{loc}", body)
    assert status == 201, out


@pytest.mark.parametrize(("form", "viewport"), [(2, DESKTOP), (1, MOBILE)], ids=["newyork-1280", "riga-375"])
def test_slot_taken_before_booking_offers_nearest(browser, stack, api, axe_source, shots_dir, form, viewport):
    page = new_page(browser, viewport, axe=True)
    page.goto(page_url(stack, form=form))
    choose_service(page, False)
    choose_staff(page, False, any_member=False)  # a named member, so the time is really gone
    open_first_free_day(page, False)
    count = page.locator("#slots button.slot").count()
    chosen = choose_slot(page, False, index=min(2, count - 1))
    page.wait_for_selector("#hold.ok")
    loc = page.evaluate("() => new URLSearchParams(location.search).get('form')")
    loc = {"1": 101, "2": 202}[loc]
    for field in ("name", "phone", "email", "comment"):
        page.fill(f"#{field}", CONTACT[field])
    if page.locator("#agree").count():
        page.check("#agree")

    _take(api, loc, _slot_of(page, chosen["time"]))
    page.click("#submit")

    lost = page.locator("#lost")
    expect(lost).to_be_visible()
    expect(page.locator("#lost-title")).to_be_focused()
    alts = lost.locator("button.slot")
    expect(alts).to_have_count(3)
    times = [alts.nth(i).get_attribute("data-time") for i in range(3)]
    assert chosen["time"] not in times
    for field in ("name", "phone", "email", "comment"):  # nothing typed is lost
        expect(page.locator(f"#{field}")).to_have_value(CONTACT[field])
    check_axe(page, axe_source, "slot lost")
    page.screenshot(path=str(shots_dir / f"{viewport['width']}-13-slot-lost.png"), full_page=True)

    alts.first.click()
    expect(page).to_have_url(re.compile(rf"time={times[0]}"))
    expect(page.locator("#name")).to_have_value(CONTACT["name"])
    if page.locator("#agree").count():
        page.check("#agree")
    page.click("#submit")
    if form == 1:
        page.fill("#code", SMS_CODE)
        page.click("#submit")
    booked = wait_done(page)
    status, _ = api.altegio("GET", f"/book_record/{booked['loc']}/{booked['id']}/{booked['hash']}")
    assert status == 200
    assert page.errors == []
    page.context.close()


def test_times_refetched_when_tab_regains_focus(browser, stack, api):
    page = new_page(browser, DESKTOP)
    page.goto(page_url(stack, form=2))
    choose_service(page, False)
    choose_staff(page, False, any_member=False)
    open_first_free_day(page, False)
    first = page.locator("#slots button.slot").first.get_attribute("data-time")
    slot = _slot_of(page, first)
    _take(api, 202, slot)
    expect(page.locator(f"#slots button.slot[data-time='{first}']")).to_have_count(1)  # still the old list
    page.evaluate("() => window.dispatchEvent(new Event('focus'))")
    expect(page.locator(f"#slots button.slot[data-time='{first}']")).to_have_count(0)
    page.context.close()


def test_a_busy_answer_is_retried_once_after_retry_after(browser, stack):
    """The gateway's 503 + Retry-After (budget spent) on the day's times: the page waits the pause and asks
    once more, and the visitor sees the times, not an error."""
    page = new_page(browser, DESKTOP)
    seen: list[int] = []

    def busy_once(route):
        seen.append(1)
        if len(seen) == 1:
            body = json.dumps({"success": False, "data": None, "meta": {"message": "budget spent"}})
            route.fulfill(
                status=503, headers={"Retry-After": "1"}, content_type="application/json", body=body
            )
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/book_times/"), busy_once)
    page.goto(page_url(stack, form=2))
    choose_service(page, False)
    choose_staff(page, False, True)
    open_first_free_day(page, False)
    expect(page.locator("#slots button.slot").first).to_be_visible()
    assert len(seen) >= 2
    assert not page.locator(".error-panel").count()
    assert not page.errors
