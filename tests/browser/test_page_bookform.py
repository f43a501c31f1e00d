"""The bookform drives the flow: step order, hidden steps with defaults, comment_required and
phone_confirmation. The form is altered in flight (route interception), the rest is the real stack.
Also: a booking whose answer is lost is retried with the same Idempotency-Key."""

from __future__ import annotations

import json

import pytest
from page_flow import DESKTOP, SMS_CODE, new_page, page_url, settle, wait_done, wait_step
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _patch_bookform(page, change):
    def handler(route):
        resp = route.fetch()
        body = resp.json()
        change(body["data"])
        headers = {**resp.headers, "content-type": "application/json"}
        route.fulfill(response=resp, body=json.dumps(body), headers=headers)

    page.route("**/bookform/*", handler)


def _step(body, name):
    return next(s for s in body["steps"] if s["step"] == name)


def test_team_member_first_and_comment_required(browser, stack):
    page = new_page(browser, DESKTOP)

    def change(form):
        _step(form, "master")["num"], _step(form, "service")["num"] = 1, 2
        form["comment_required"] = True
        form["comment_input_name"] = "Anything we should know?"
        form["phone_confirmation"] = False

    _patch_bookform(page, change)
    page.goto(page_url(stack, form=1))
    wait_step(page, "master")
    expect(page.locator("#progress li").first).to_contain_text("Team member")
    settle(page)
    member = page.locator("button.card.staff:not([disabled])").nth(1)
    name = member.locator(".card-title").inner_text()
    with page.expect_request(lambda r: "/book_services/" in r.url and "staff_id=" in r.url):
        member.click()
    wait_step(page, "service")
    settle(page)
    page.locator("button.card.svc").first.click()
    wait_step(page, "datetime")
    page.wait_for_selector("table.grid[aria-busy='false']")
    page.locator("button.day.free").first.click()
    page.locator("#slots button.slot").first.click()
    wait_step(page, "contact")
    expect(page.locator("label[for=comment]")).to_contain_text("Anything we should know?")
    expect(page.locator("#comment")).to_have_attribute("aria-required", "true")
    page.fill("#name", "Comment Tester")
    page.fill("#phone", "+37120000003")
    if page.locator("#agree").count():
        page.check("#agree")
    page.click("#submit")
    expect(page.locator("#comment")).to_have_attribute("aria-invalid", "true")
    page.fill("#comment", "Window seat")
    expect(page.locator("#submit")).to_have_text("Book appointment")  # no SMS step
    page.click("#submit")
    # the location itself still asks for an SMS code: the page finds out from book_record (432)
    page.wait_for_function("() => ['done', 'sms'].includes(document.body.dataset.step)")
    if page.evaluate("() => document.body.dataset.step") == "sms":
        page.fill("#code", SMS_CODE)
        page.click("#submit")
    wait_done(page)
    expect(page.locator(".details")).to_contain_text(name)
    page.context.close()


def test_hidden_steps_with_defaults_skip_to_the_calendar(browser, stack, api):
    status, services = api.call("GET", "/book_services/202")
    assert status == 200
    first = next(s for s in services["data"]["services"] if s.get("active", 1))
    page = new_page(browser, DESKTOP)

    def change(form):
        svc = _step(form, "service")
        svc["hidden"], svc["default"] = True, first["id"]
        master = _step(form, "master")
        master["hidden"], master["default"] = True, -1

    _patch_bookform(page, change)
    page.goto(page_url(stack, form=2))
    wait_step(page, "datetime")
    expect(page.locator("#progress li")).to_have_count(2)  # date & time, details (no SMS here)
    expect(page.locator("#summary")).to_contain_text(first["title"])
    page.wait_for_selector("table.grid[aria-busy='false']")
    page.context.close()


def test_lost_answer_is_retried_with_the_same_idempotency_key(browser, stack):
    page = new_page(browser, DESKTOP)
    keys = []
    state = {"dropped": False}

    def handler(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if not state["dropped"]:
            state["dropped"] = True
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/book_record/*", handler)
    page.goto(page_url(stack, form=2))
    wait_step(page, "service")
    settle(page)
    page.locator("button.card.svc").first.click()
    wait_step(page, "master")
    settle(page)
    page.locator("button.card.staff").first.click()
    wait_step(page, "datetime")
    page.wait_for_selector("table.grid[aria-busy='false']")
    page.locator("button.day.free").first.click()
    page.locator("#slots button.slot").first.click()
    wait_step(page, "contact")
    page.fill("#name", "Retry Tester")
    page.fill("#phone", "+12125550123")
    page.click("#submit")
    expect(page.locator("#form-error")).to_be_visible()
    expect(page.locator("#name")).to_have_value("Retry Tester")
    page.click("#submit")
    wait_done(page)
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys
    page.context.close()
