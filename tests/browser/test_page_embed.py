"""The page's step events and its embedding in a partner's page of another origin (web/embed.js, frame.js)."""

from __future__ import annotations

import json

import pytest
from page_flow import (
    CONTACT,
    DESKTOP,
    choose_service,
    choose_slot,
    choose_staff,
    fill_contact,
    new_page,
    open_first_free_day,
    page_url,
    wait_done,
)

pytestmark = pytest.mark.browser

# What the page itself dispatches on `document`, recorded from the first script on.
RECORD_EVENTS = """
window.__events = [];
for (const type of ['booking:step', 'booking:made'])
  document.addEventListener(type, (e) => window.__events.push({type, detail: e.detail}));
"""


def no_personal_data(events) -> None:
    text = json.dumps(events)
    for value in (
        CONTACT["name"],
        CONTACT["phone"],
        CONTACT["phone"][1:],
        CONTACT["email"],
        CONTACT["comment"],
    ):
        assert value not in text, text


def test_step_events_and_booking_made_with_ids_only(browser, stack, api):
    page = new_page(browser, DESKTOP)
    page.add_init_script(RECORD_EVENTS)
    page.goto(page_url(stack, form=2))
    choose_service(page, False)
    choose_staff(page, False, any_member=False)
    open_first_free_day(page, False)
    choose_slot(page, False)
    page.locator("#lang").select_option("de-DE")  # the same step rendered again: no new event
    page.wait_for_function(
        "() => document.documentElement.lang === 'de-DE' && document.querySelector('#name')"
    )
    fill_contact(page, False)
    booked = wait_done(page)
    events = page.evaluate("() => window.__events")
    steps = [e["detail"]["step"] for e in events if e["type"] == "booking:step"]
    assert steps == ["service", "master", "datetime", "contact", "done"], events
    made = [e["detail"] for e in events if e["type"] == "booking:made"]
    assert len(made) == 1 and set(made[0]) == {"location", "record", "services", "staff"}, made
    assert made[0]["location"] == booked["loc"] == 202 and made[0]["record"] == booked["id"]
    assert made[0]["staff"] > 0 and len(made[0]["services"]) == 1
    # made before the confirmation is shown: the last step event comes after it
    assert [e["type"] for e in events][-2:] == ["booking:made", "booking:step"]
    no_personal_data(events)
    assert booked["hash"] not in json.dumps(events)
    status, rec = api.call("GET", f"/book_record/202/{booked['id']}/{booked['hash']}")
    assert status == 200
    rec = rec["data"] if isinstance(rec, dict) and "data" in rec else rec
    rec = rec[0] if isinstance(rec, list) else rec
    assert rec["staff"]["id"] == made[0]["staff"]
    assert [s["id"] for s in rec["services"]] == made[0]["services"]
