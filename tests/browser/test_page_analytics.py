"""Conversion events (web/analytics.js): the analytics ids the bookform names get page view, step and booking
events after the visitor's consent, and nothing before it or after a refusal. The page is served with the
content security policy of a stack deployed with PageAnalyticsVendors="google,meta,yandex" (enforced: these
contexts do not bypass it), and every address off this machine is routed: the vendors' script hosts to local
stubs that report to their collection hosts as the real scripts do, those recorded, anything else refused."""

from __future__ import annotations

import json
import re

import pytest
from page_flow import (
    CONTACT,
    DESKTOP,
    MOBILE,
    check_axe,
    choose_service,
    choose_slot,
    choose_staff,
    fill_contact,
    new_page,
    open_first_free_day,
    settle,
    tab_to,
    wait_done,
    wait_step,
)
from partner import Vendors, page_server
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
FORM = 9  # the sandbox's form with a Google Analytics id, a Meta pixel and a Yandex Metrika counter
GA, PIXEL, METRIKA = "G-SANDBOX9", "900000000000009", "90000009"


@pytest.fixture(scope="module")
def site(stack):
    server = page_server(stack, PageAnalyticsVendors="google,meta,yandex")
    yield server.url + "/"
    server.stop()


def open_page(browser, site, viewport=DESKTOP, *, form=FORM, axe=False, **kw):
    page = new_page(browser, viewport, axe=axe, **kw)
    vendors = Vendors(page.context)
    page.goto(f"{site}?form={form}")
    return page, vendors


def private(vendors: Vendors, booked: dict | None = None) -> None:
    """Nothing the visitor typed, and never the record's hash, in anything a vendor received."""
    sent = json.dumps([[h.url, h.body, h.query] for h in vendors.hits], ensure_ascii=False)
    for value in (
        CONTACT["name"],
        CONTACT["phone"],
        CONTACT["phone"][1:],
        CONTACT["email"],
        CONTACT["comment"],
    ):
        assert value not in sent and value.replace(" ", "+") not in sent, value
    assert "manage" not in sent
    if booked:
        assert booked["hash"] not in sent


def book(page) -> dict:
    choose_service(page, False)
    choose_staff(page, False, any_member=False)
    open_first_free_day(page, False)
    choose_slot(page, False)
    fill_contact(page, False)
    return wait_done(page)


@pytest.mark.parametrize(
    ("keyboard", "viewport"), [(False, DESKTOP), (True, MOBILE)], ids=["mouse-1280", "keys-375"]
)
def test_after_consent_page_view_steps_and_booking_reach_each_vendor(browser, site, keyboard, viewport):
    page, vendors = open_page(browser, site, viewport)
    prompt = page.get_by_role("region", name="Statistics and ads")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Google Analytics, Meta, and Yandex Metrika")
    wait_step(page, "service")
    assert vendors.anything == []  # asked first: nothing loaded, nothing sent
    if keyboard:
        tab_to(page, "#consent-yes")  # first after the skip link
        page.keyboard.press("Enter")
    else:
        page.click("#consent-yes")
    expect(prompt).to_have_count(0)
    if keyboard:  # the prompt's button is gone: focus goes on to the step, not to the document's start
        expect(page.locator("#step-title")).to_be_focused()

    booked = book(page)
    for vendor, made in (("google", "booking_made"), ("meta", "Schedule"), ("yandex", "booking_made")):
        expect_events(page, vendor, made)
    ga = vendors.of("google")
    assert {h.query["tid"] for h in ga} == {GA}
    assert vendors.events("google")[:2] == ["page_view", "booking_step"]
    steps = [vendors.params(h)["step"] for h in ga if h.query["en"] == "booking_step"]
    assert steps == ["service", "master", "datetime", "contact"]  # never "done": its address holds the hash
    made = vendors.params(next(h for h in ga if h.query["en"] == "booking_made"))
    assert made == {
        "location_id": 202,
        "record_id": booked["id"],
        "service_ids": made["service_ids"],
        "staff_id": made["staff_id"],
    }
    assert re.fullmatch(r"\d+", made["service_ids"]) and made["staff_id"] > 0
    assert vendors.events("meta")[0] == "PageView" and {h.query["id"] for h in vendors.of("meta")} == {PIXEL}
    meta_made = vendors.params(next(h for h in vendors.of("meta") if h.query["ev"] == "Schedule"))
    assert meta_made["record_id"] == booked["id"]
    assert vendors.events("yandex")[0] == "pageview"
    assert {h.url.split("/watch/")[1].split("?")[0] for h in vendors.of("yandex")} == {METRIKA}
    assert sorted(u.split("?")[0] for u in vendors.scripts) == [
        "https://connect.facebook.net/en_US/fbevents.js",
        "https://mc.yandex.ru/metrika/tag.js",
        "https://www.googletagmanager.com/gtag/js",
    ]
    assert f"id={GA}" in next(u for u in vendors.scripts if "gtag" in u)
    assert vendors.refused == []
    private(vendors, booked)
    assert not page.errors

    # The manage link's view sends nothing, consent or not: its address holds the record's hash.
    sent = len(vendors.anything)
    manage = page.context.new_page()  # a fresh load (the confirmation's address is the manage link already)
    manage.goto(booked["manage"])
    manage.wait_for_selector("#rec-status")
    manage.evaluate("() => import('./analytics.js')")  # had the page asked for it, it would be running now
    assert len(vendors.anything) == sent
    assert manage.evaluate("() => !window.dataLayer && !window.fbq && !window.ym")
    manage.close()

    # Remembered: the next visit asks nothing and measures straight away.
    page.goto(f"{site}?form={FORM}")
    wait_step(page, "service")
    for vendor, view in (("google", "page_view"), ("meta", "PageView"), ("yandex", "pageview")):
        expect_events(page, vendor, view)
    expect(page.locator("#consent")).to_have_count(0)
    private(vendors, booked)


def expect_events(page, vendor: str, name: str) -> None:
    """Until the vendor's stub has had its request for this event answered (recorded by then)."""
    page.wait_for_function("k => (window.__hits || []).includes(k)", arg=f"{vendor}:{name}")


def test_declined_nothing_is_loaded_or_sent_and_the_choice_can_change(browser, site):
    page, vendors = open_page(browser, site)
    page.get_by_role("button", name="Decline").click()
    expect(page.locator("#consent")).to_have_count(0)
    expect(page.locator("#live")).to_have_text("Statistics declined: nothing is sent.")
    booked = book(page)
    page.goto(f"{site}?form={FORM}")  # remembered: not asked again
    wait_step(page, "service")
    settle(page)
    expect(page.locator("#consent")).to_have_count(0)
    assert page.evaluate("() => !window.dataLayer && !window.fbq && !window.ym && !window.gtag")
    assert vendors.anything == []
    assert booked["id"]

    # The footer's button asks again; allowing loads the vendors at once, declining then reloads the page
    # (a vendor's script cannot be unloaded) and nothing is loaded after it.
    page.get_by_role("button", name="Statistics and ads settings").click()
    expect(page.locator("#consent-yes")).to_be_focused()
    page.click("#consent-yes")
    expect_events(page, "google", "page_view")
    expect_events(page, "google", "booking_step")
    page.get_by_role("button", name="Statistics and ads settings").click()
    with page.expect_navigation():
        page.click("#consent-no")
    wait_step(page, "service")
    settle(page)
    loaded = len(vendors.scripts)
    assert page.evaluate("() => !window.dataLayer && !window.fbq && !window.ym")
    assert len(vendors.scripts) == loaded == 3 and vendors.refused == []


def test_no_analytics_id_no_prompt_and_no_module(browser, site):
    page = new_page(browser, DESKTOP)
    vendors = Vendors(page.context)
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"{site}?form=2")
    wait_step(page, "service")
    settle(page)
    choose_service(page, False)
    wait_step(page, "master")
    expect(page.locator("#consent")).to_have_count(0)
    assert not [u for u in asked if "analytics" in u]  # loaded on demand: never, here
    assert vendors.anything == []


def test_tag_manager_id_and_only_the_vendors_the_deployment_allows(browser, site):
    """The form's Google id is a Tag Manager container; config.json (from PageAnalyticsVendors) allows only
    Google: the prompt names only Tag Manager, and only gtm.js loads."""
    page = new_page(browser, DESKTOP)
    vendors = Vendors(page.context)

    def bookform(route):
        body = route.fetch().json()
        body["data"]["google_analytics_id"] = "GTM-SBX9TEST"
        route.fulfill(json=body)

    def config(route):
        body = route.fetch().json()
        route.fulfill(json={**body, "analytics": ["google"]})

    page.route(re.compile(r"/api/v1/bookform/9$"), bookform)
    page.route(re.compile(r"/config\.json$"), config)
    page.goto(f"{site}?form={FORM}")
    prompt = page.get_by_role("region", name="Statistics and ads")
    expect(prompt).to_contain_text("Google Tag Manager")
    assert "Meta" not in prompt.inner_text() and "Yandex" not in prompt.inner_text()
    page.click("#consent-yes")
    choose_service(page, False)
    wait_step(page, "master")
    expect_events(page, "google", "gtm.js")
    expect_events(page, "google", "booking_step")
    assert [u.split("?")[0] for u in vendors.scripts] == ["https://www.googletagmanager.com/gtm.js"]
    assert "id=GTM-SBX9TEST" in vendors.scripts[0]
    assert {h.vendor for h in vendors.hits} == {"google"} and vendors.refused == []
    steps = [vendors.params(h)["step"] for h in vendors.of("google") if h.query["en"] == "booking_step"]
    assert steps == ["service", "master"]
    assert page.evaluate("() => !window.fbq && !window.ym")


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280", "375"])
@pytest.mark.parametrize("lang", ["en-US", "de-DE"])
def test_consent_prompt_accessible_with_screenshots(browser, site, axe_source, shots_dir, viewport, lang):
    w = viewport["width"]
    page = new_page(browser, viewport, axe=True, locale=lang)
    Vendors(page.context)
    page.goto(f"{site}?form={FORM}&lang={lang}")
    prompt = page.locator("#consent")
    expect(prompt).to_be_visible()
    wait_step(page, "service")
    settle(page)
    check_axe(page, axe_source, f"consent prompt at {w}px ({lang})")
    page.screenshot(path=str(shots_dir / f"{w}-consent-{lang}.png"))
    # The page's end is not hidden under the prompt: the body makes room for it.
    room = page.evaluate("() => parseFloat(getComputedStyle(document.body).paddingBottom)")
    assert abs(room - prompt.bounding_box()["height"]) <= 1
    page.click("#consent-no")
    check_axe(page, axe_source, f"the page with the settings button at {w}px ({lang})")
