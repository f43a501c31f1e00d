"""bench/page.py's figures on the real page: the tap on a day to its times shown."""

from __future__ import annotations

import page_flow
import pytest

from bench import page as bench_page

pytestmark = pytest.mark.browser


def test_the_bench_times_a_tap_on_a_day_from_the_click_to_its_first_time_shown(browser, stack):
    # The page's "today" is the sandbox's (page_flow.NOW under the date matrix), as in the other flows.
    now = page_flow.NOW() if page_flow.NOW is not None else None
    out = bench_page._visit(browser, stack.page_url + bench_page.DATE_STEP, click_day=True, now=now)
    assert out["tap_to_slots_ms"] > 0
    # From the click, not from navigation: the day was shown (and then clicked) before the times.
    assert out["tap_to_slots_ms"] <= out["slots_shown_ms"] - out["first_bookable_day_ms"]
