"""URL state (deep links, reload, back button), the date grid's keyboard pattern and its names,
and the first-load size budget."""

from __future__ import annotations

import contextlib
import gzip
import re
from datetime import date

import pytest
from page_flow import (
    DESKTOP,
    choose_service,
    choose_staff,
    focused,
    new_page,
    open_first_free_day,
    page_url,
    settle,
    tab_to,
    wait_step,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
BUDGET = 40 * 1024


def test_url_state_deep_link_reload_and_back(browser, stack):
    page = new_page(browser, DESKTOP)
    page.goto(page_url(stack, form=2))
    choose_service(page, False)
    choose_staff(page, False, any_member=True)
    day = open_first_free_day(page, False)
    time = page.locator("#slots button.slot").first.get_attribute("data-time")
    page.locator("#slots button.slot").first.click()
    wait_step(page, "contact")
    url = page.url
    assert re.search(rf"service=\d+&staff=0&date={day}&time={time}", url), url

    # reload and a shared link land on the same step
    page.reload()
    wait_step(page, "contact")
    other = new_page(browser, DESKTOP)
    other.goto(url)
    wait_step(other, "contact")
    expect(other.locator(".appt-when")).to_contain_text(re.compile(r"\d"))
    other.context.close()

    # back walks the steps: date & time (day still picked) → team member → service
    page.go_back()
    wait_step(page, "datetime")
    expect(page.locator(f"td[aria-selected='true'] button[data-date='{day}']")).to_have_count(1)
    page.wait_for_selector("#slots button.slot")
    page.go_back()
    wait_step(page, "master")
    page.go_back()
    wait_step(page, "service")
    page.go_forward()
    wait_step(page, "master")

    # a deep link to a day opens the calendar on it with its times
    page.goto(page_url(stack, form=2, service=_q(url, "service"), staff=0, date=day))
    wait_step(page, "datetime")
    page.wait_for_selector("#slots button.slot")
    expect(page.locator("#slots-title")).not_to_be_empty()
    assert page.errors == []
    page.context.close()


def _q(url, key):
    return re.search(rf"{key}=(\d+)", url)[1]


def test_date_grid_keyboard_pattern_and_names(browser, stack):
    page = new_page(browser, DESKTOP)
    page.goto(page_url(stack, form=1))
    choose_service(page, False)
    choose_staff(page, False, any_member=True)
    wait_step(page, "datetime")
    page.wait_for_selector("table.grid[aria-busy='false']")
    grid = page.locator("table.grid")
    expect(grid).to_have_attribute("role", "grid")
    # exactly one tab stop in the grid
    expect(grid.locator("button[tabindex='0']")).to_have_count(1)
    tab_to(page, "table.grid button[tabindex='0']")
    start = focused(page, "el => el.dataset.date")

    def moved(key):
        page.keyboard.press(key)
        return focused(page, "el => el.dataset.date")

    def shift(iso, days):
        from datetime import date, timedelta

        return (date.fromisoformat(iso) + timedelta(days=days)).isoformat()

    d = moved("ArrowRight")
    assert d == shift(start, 1)
    assert moved("ArrowDown") == shift(d, 7)
    assert moved("ArrowUp") == d
    assert moved("ArrowLeft") == start
    title = page.locator("#cal-title").inner_text()
    nxt = moved("PageDown")
    expect(page.locator("#cal-title")).not_to_have_text(title)
    assert nxt[:7] > start[:7]
    home = moved("Home")  # (next month: clear of the "today" lower bound)
    end = moved("End")
    assert shift(home, 6) == end
    back = moved("PageUp")
    assert back[:7] < end[:7] and back[8:] in (end[8:], "28", "29", "30")
    # names carry the full date: weekday, day, month and year
    label = focused(page, "el => el.getAttribute('aria-label')")
    assert re.search(
        r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \w+ \d{1,2}, 20\d\d", label
    ), label
    # disabled days stay focusable but are marked disabled
    off = grid.locator("button[aria-disabled='true']").first
    if off.count():
        assert "Available" not in (off.get_attribute("aria-label") or "")
    # choosing a day announces how many times it has
    day = grid.locator("button.day.free").first
    day.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#slots button.slot")
    n = page.locator("#slots button.slot").count()
    page.wait_for_function("n => document.querySelector('#live').textContent.includes(String(n))", arg=n)
    assert re.search(r"times? available on \w+day", page.locator("#live").inner_text())
    # focus stays on the day (desktop), visible focus indicator present
    assert focused(page, "el => el.dataset.date") == day.get_attribute("data-date")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.context.close()


def test_first_load_within_gzip_budget(browser, stack):
    """HTML + CSS + JS of the first view, as served, gzipped file by file: at most 40 KB."""
    page = new_page(browser, DESKTOP)
    seen = {}

    def on_response(resp):
        kind = resp.request.resource_type
        if kind in ("document", "stylesheet", "script", "fetch", "xhr") and resp.url.startswith(
            stack.page_url
        ):
            with contextlib.suppress(Exception):  # redirects have no body
                seen[resp.url] = (kind, resp.body())

    page.on("response", on_response)
    page.goto(page_url(stack, form=1), wait_until="networkidle")
    page.wait_for_selector("button.card.svc")
    code = {u: b for u, (k, b) in seen.items() if k in ("document", "stylesheet", "script")}
    data = {u: b for u, (k, b) in seen.items() if k in ("fetch", "xhr") and "/api/" not in u}
    size = sum(len(gzip.compress(b, 9)) for b in code.values())
    total = size + sum(len(gzip.compress(b, 9)) for b in data.values())
    report = "\n".join(f"{len(gzip.compress(b, 9)):6d} {u}" for u, b in sorted({**code, **data}.items()))
    print(f"\nfirst load: HTML+CSS+JS {size} B gzipped, with config + strings {total} B\n{report}")
    assert any(u.endswith(".js") for u in code) and any(u.endswith(".css") for u in code)
    assert size <= BUDGET, report
    assert total <= BUDGET, report
    page.context.close()


def test_no_layout_shift_while_loading(browser, stack):
    """Skeletons have the final size: the cumulative layout shift stays in the "good" band (< 0.1)."""
    page = new_page(browser, DESKTOP)
    page.add_init_script("""
        window.__cls = 0;
        new PerformanceObserver(l => {
          for (const e of l.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
        }).observe({type: 'layout-shift', buffered: true});
    """)
    page.goto(page_url(stack, form=1))
    settle(page)
    page.locator("button.card.svc").first.click()
    wait_step(page, "master")
    settle(page)
    page.locator("button.card.staff").first.click()
    wait_step(page, "datetime")
    page.wait_for_selector("table.grid[aria-busy='false']")
    page.wait_for_timeout(300)
    cls = page.evaluate("() => window.__cls")
    print(f"\nCLS service → team member → calendar: {cls:.4f}")
    assert cls < 0.1, cls
    page.context.close()


def _date_step_of_any(browser, stack) -> tuple:
    """A page on the date step of form 2's first service with "any" team member, and the URLs it asked."""
    page = new_page(browser, DESKTOP)
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(page_url(stack, form=2))
    choose_service(page, False)
    choose_staff(page, False, any_member=True)
    return page, urls


def test_prefetches_next_month_and_neighbour_days(browser, stack):
    page, urls = _date_step_of_any(browser, stack)
    day = open_first_free_day(page, False)
    shown = page.locator("#cal-title").inner_text()
    page.wait_for_timeout(300)
    span = r"date_from=(\d{4}-\d\d).*date_to=(\d{4}-\d\d)"
    spans = [re.search(span, u) for u in urls if "/book_dates/" in u]
    assert len(spans) == 1, urls  # one call: the shown month and the next one
    first, last = (date.fromisoformat(f"{m}-01") for m in spans[0].groups())
    assert (last.year * 12 + last.month) - (first.year * 12 + first.month) == 1, spans[0].groups()
    days = {re.search(r"/book_times/\d+/\d+/([\d-]+)", u)[1] for u in urls if "/book_times/" in u}
    assert day in days and len(days) >= 2, days  # the picked day and a neighbour
    # moving to the next month is then served without waiting for the network
    before = len([u for u in urls if "/book_dates/" in u])
    page.locator(".cal-head button").last.click()
    expect(page.locator("#cal-title")).not_to_have_text(shown)
    expect(page.locator("table.grid")).to_have_attribute("aria-busy", "false")
    assert len([u for u in urls if "/book_dates/" in u]) - before <= 1  # only the prefetch of the month after
    page.wait_for_load_state("networkidle")  # its prefetches must not land in the next test's sandbox
    page.context.close()


def test_the_first_free_days_times_are_asked_before_the_tap_and_shown_without_waiting(browser, stack):
    page, urls = _date_step_of_any(browser, stack)
    wait_step(page, "datetime")
    page.wait_for_selector("table.grid[aria-busy='false'] button.day.free")
    page.wait_for_load_state("networkidle")
    first = page.locator("button.day.free").first
    iso = first.get_attribute("data-date")

    def asked(day: str) -> int:
        return len([u for u in urls if re.search(rf"/book_times/\d+/\d+/{day}\b", u)])

    assert asked(iso) == 1, urls  # before any tap: where most visitors tap first
    assert len({re.search(r"/book_times/\d+/\d+/([\d-]+)", u)[1] for u in urls if "/book_times/" in u}) == 1
    first.click()
    page.wait_for_selector("#slots button.slot")
    assert asked(iso) == 1  # shown from the page's own copy: the tap waited for no request
    page.wait_for_load_state("networkidle")  # the neighbours' prefetches must not land in the next test
    page.context.close()
