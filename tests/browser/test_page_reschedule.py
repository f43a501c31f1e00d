"""Moving an appointment from its manage link: sign in with phone + SMS code (PUT book_record takes a user
token), pick another day and time, confirm; the .ics is offered again. A time taken meanwhile gets the
same recovery as a new booking: the nearest free times inline."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from page_flow import (
    DESKTOP,
    MOBILE,
    SMS_CODE,
    check_axe,
    new_page,
    page_url,
    pick_free_day,
    tab_to,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
NEW_YORK, JAMES, SWEDISH = 202, 2021, 20011


def book_direct(api, phone, loc=NEW_YORK, staff=JAMES, services=(SWEDISH,), after=None):
    """A booking made behind the page's back (New York asks no SMS code): the member's first free time, or
    the slot `after`."""
    q = "&".join(f"service_ids%5B%5D={s}" for s in services)
    status, near = api.call("GET", f"/book_staff_seances/{loc}/{staff}?{q}")
    assert status == 200, near
    slot = near["data"]["seances"][0] if after is None else after
    body = {
        "phone": phone,
        "fullname": "Moving Visitor",
        "email": "",
        "appointments": [
            {"id": 1, "services": list(services), "staff_id": staff, "datetime": slot["datetime"]}
        ],
    }
    status, out = api.call("POST", f"/book_record/{loc}", body)
    assert status == 201, out
    item = out["data"][0]
    return {"loc": loc, "id": item["record_id"], "hash": item["record_hash"], "datetime": slot["datetime"]}


def record(api, rec):
    status, body = api.altegio("GET", f"/book_record/{rec['loc']}/{rec['id']}/{rec['hash']}")
    assert status == 200, body
    return body.get("data", body)


def sign_in(page, phone, keyboard):
    page.wait_for_selector("#acc-phone")
    if keyboard:
        tab_to(page, "#acc-phone")
        page.keyboard.press("Control+A")
        page.keyboard.type(phone)
        page.keyboard.press("Enter")
        expect(page.locator("#acc-code")).to_be_focused()
        page.keyboard.type(SMS_CODE)
        page.keyboard.press("Enter")
    else:
        page.fill("#acc-phone", phone)
        page.click("#acc-send")
        page.fill("#acc-code", SMS_CODE)
        page.click("#acc-login")


def pick_time(page, keyboard, index=0):
    pick_free_day(page, keyboard)
    slots = page.locator("#slots button.slot")
    btn = slots.nth(min(index, slots.count() - 1))
    chosen = {"date": btn.get_attribute("data-date"), "time": btn.get_attribute("data-time")}
    if keyboard:
        tab_to(page, f"#slots button.slot[data-time='{chosen['time']}']")
        page.keyboard.press("Enter")
    else:
        btn.click()
    expect(page.locator("#move-to")).to_be_focused()
    return chosen


def confirm(page, keyboard):
    if keyboard:
        tab_to(page, "#move-confirm")
        page.keyboard.press("Enter")
    else:
        page.click("#move-confirm")


def test_move_from_manage_link_by_mouse(browser, stack, api, axe_source, shots_dir):
    rec = book_direct(api, "+12125550181")
    page = new_page(browser, DESKTOP, axe=True)
    page.goto(page_url(stack, form=2) + f"#manage={rec['loc']}.{rec['id']}.{rec['hash']}")
    page.click("#move")
    expect(page.locator("#step-title")).to_be_focused()
    expect(page.locator("#acc-code")).to_be_hidden()
    check_axe(page, axe_source, "move: sign in at 1280px")
    page.screenshot(path=str(shots_dir / "1280-move-1-sign-in.png"), full_page=True)
    sign_in(page, "+1 212 555 0181", keyboard=False)
    page.wait_for_selector("table.grid[aria-busy='false']")
    assert "bk.user" in page.evaluate("() => Object.keys(sessionStorage)")
    assert "User" not in page.url and page.evaluate(
        "() => !location.href.includes(sessionStorage['bk.user'])"
    )
    chosen = pick_time(page, keyboard=False, index=2)
    check_axe(page, axe_source, "move: confirm at 1280px")
    page.screenshot(path=str(shots_dir / "1280-move-2-confirm.png"), full_page=True)
    confirm(page, keyboard=False)
    expect(page.locator("#step-title")).to_have_text("Your appointment has been moved")
    expect(page.locator("#step-title")).to_be_focused()
    check_axe(page, axe_source, "move: done at 1280px")
    page.screenshot(path=str(shots_dir / "1280-move-3-done.png"), full_page=True)
    moved = record(api, rec)
    assert moved["datetime"][:16] == f"{chosen['date']}T{chosen['time']}", moved
    assert moved["staff"]["id"] == JAMES
    with page.expect_download() as dl:
        page.click("#ics")
    with open(dl.value.path(), encoding="utf-8") as f:
        ics = f.read().replace("\r\n ", "")
    start = re.search(r"DTSTART:(\d{8}T\d{4})", ics)[1]
    assert start != re.sub(r"\D", "", rec["datetime"])[:12]
    # back to the manage view: it shows the new time
    page.click("#manage-link")
    expect(page.locator("#rec-status")).to_have_class(re.compile(r"\bok\b"))
    assert page.errors == []


def test_move_keeps_the_old_time_when_the_new_one_is_taken_by_keyboard(
    browser, stack, api, axe_source, shots_dir
):
    rec = book_direct(api, "+12125550182")
    page = new_page(browser, MOBILE, axe=True)
    page.goto(page_url(stack, form=2) + f"#manage={rec['loc']}.{rec['id']}.{rec['hash']}")
    page.wait_for_selector("#move")
    tab_to(page, "#move")
    page.keyboard.press("Enter")
    sign_in(page, "+12125550182", keyboard=True)
    check_axe(page, axe_source, "move: calendar at 375px")
    page.screenshot(path=str(shots_dir / "375-move-1-calendar.png"), full_page=True)
    chosen = pick_time(page, keyboard=True, index=1)
    # someone else takes that time meanwhile
    status, times = api.call(
        "GET", f"/book_times/{NEW_YORK}/{JAMES}/{chosen['date']}?service_ids%5B%5D={SWEDISH}"
    )
    taken = next(s for s in times["data"] if s["time"] == chosen["time"])
    book_direct(api, "+12125550183", after=taken)
    confirm(page, keyboard=True)
    expect(page.locator("#lost-title")).to_be_focused()
    alts = page.locator("#lost button.slot")
    expect(alts.first).to_be_visible()
    assert chosen["time"] not in [alts.nth(i).get_attribute("data-time") for i in range(alts.count())] or (
        alts.first.get_attribute("data-date") != chosen["date"]
    )
    check_axe(page, axe_source, "move: slot lost at 375px")
    page.screenshot(path=str(shots_dir / "375-move-2-slot-lost.png"), full_page=True)
    assert record(api, rec)["datetime"][:16] == rec["datetime"][:16]  # nothing moved yet
    alt = {"date": alts.first.get_attribute("data-date"), "time": alts.first.get_attribute("data-time")}
    tab_to(page, "#lost button.slot")
    page.keyboard.press("Enter")
    expect(page.locator("#move-to")).to_be_focused()
    confirm(page, keyboard=True)
    expect(page.locator("#step-title")).to_have_text("Your appointment has been moved")
    expect(page.locator("#ics")).to_be_visible()
    assert record(api, rec)["datetime"][:16] == f"{alt['date']}T{alt['time']}"
    check_axe(page, axe_source, "move: done at 375px")
    assert page.errors == []


def _move_screen(browser, stack, api, phone: str, free_days: int):
    """The move screen of a new booking, signed in, at the first month with `free_days` free days (of three
    tried): the page, every URL it requested, the free days shown, and how often a day's times were asked."""
    rec = book_direct(api, phone)
    page = new_page(browser, DESKTOP)
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(page_url(stack, form=2) + f"#manage={rec['loc']}.{rec['id']}.{rec['hash']}")
    page.click("#move")
    sign_in(page, f"+1 212 555 {phone[-4:]}", keyboard=False)
    for _ in range(3):  # the month may have too few free days left: move on
        page.wait_for_selector("table.grid[aria-busy='false']")
        if page.locator("button.day.free").count() >= free_days:
            break
        page.locator(".cal-head button").last.click()
    page.wait_for_load_state("networkidle")
    free = [b.get_attribute("data-date") for b in page.locator("button.day.free").all()]
    assert len(free) >= free_days, free

    def asked(day: str) -> int:
        return len([u for u in urls if re.search(rf"/book_times/\d+/\d+/{day}\b", u)])

    return page, urls, free, asked


def test_the_move_screen_asks_the_first_free_days_times_before_the_tap(browser, stack, api):
    page, urls, free, asked = _move_screen(browser, stack, api, "+12125550184", 1)
    assert asked(free[0]) == 1, urls  # before any tap
    page.click(f"button.day[data-date='{free[0]}']")
    page.wait_for_selector("#slots button.slot, #slots p.empty")
    assert asked(free[0]) == 1  # shown from the page's own copy
    assert page.errors == []


def test_the_move_screen_asks_a_picked_days_neighbours_and_the_next_months_days_ahead(browser, stack, api):
    page, urls, free, asked = _move_screen(browser, stack, api, "+12125550185", 4)
    month = free[0][:8] + "01"
    following = (dt.date.fromisoformat(month) + dt.timedelta(days=32)).replace(day=1).isoformat()
    assert any("/book_dates/" in u and f"date_from={following}" in u for u in urls), urls  # before its click
    assert asked(free[1]) == asked(free[3]) == 0  # (the first free day's times are asked ahead anyway)
    page.click(f"button.day[data-date='{free[2]}']")
    page.wait_for_selector("#slots button.slot, #slots p.empty")
    page.wait_for_load_state("networkidle")
    assert asked(free[1]) == 1 and asked(free[3]) == 1  # both neighbours, before any tap on them
    page.click(f"button.day[data-date='{free[3]}']")
    page.wait_for_selector(f"#slots button.slot[data-date='{free[3]}'], #slots p.empty")
    assert asked(free[3]) == 1  # shown from the page's own copy
    assert page.errors == []
