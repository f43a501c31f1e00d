"""The page's step events and its embedding in a partner's page of another origin (web/embed.js, frame.js)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

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
    page_url,
    settle,
    tab_to,
    wait_done,
    wait_step,
)
from partner import PartnerSite, page_server
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

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
    status, rec = api.altegio("GET", f"/book_record/202/{booked['id']}/{booked['hash']}")
    assert status == 200
    rec = rec["data"] if isinstance(rec, dict) and "data" in rec else rec
    rec = rec[0] if isinstance(rec, list) else rec
    assert rec["staff"]["id"] == made[0]["staff"]
    assert [s["id"] for s in rec["services"]] == made[0]["services"]


# ---------- embedded in a partner's page of another origin ----------
PARTNER_RECORDER = """
window.__got = []; window.__raw = [];
for (const type of ['booking:step', 'booking:made'])
  document.addEventListener(type, (e) => __got.push({type, detail: e.detail, target: e.target.tagName}));
addEventListener('message', (e) => __raw.push({origin: e.origin, data: e.data}));
"""


@pytest.fixture(scope="module")
def framable(stack):
    """The page as a stack deployed with PageFrameAncestors="http://localhost:*" serves it."""
    server = page_server(stack, PageFrameAncestors="http://localhost:*")
    yield server.url + "/"
    server.stop()


@pytest.fixture(scope="module")
def partner():
    site = PartnerSite()
    yield site
    site.stop()


def partner_page(partner, name: str, src: str, attrs: dict, before: str = "", after: str = "") -> str:
    data = " ".join(f'data-{k}="{v}"' for k, v in attrs.items())
    return partner.add(
        f"/{name}.html",
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Partner salon</title></head>
<body><main><h1>Partner salon</h1><p>Our services, our team.</p>{before}
<script src="{src}embed.js" {data} async></script>{after}</main>
<script>{PARTNER_RECORDER}</script></body></html>""",
    )


def booking_frame(page, page_base: str):
    frame = page.wait_for_selector("iframe[title]").content_frame()
    frame.wait_for_url(page_base + "**")
    return frame


def frame_height_followed(page, frame) -> int:
    """The iframe on the partner's page is exactly as tall as the page's content, which has no scrollbar.
    Measured again until the content stays put: a part drawn after the first measure (seen once in the
    date matrix, 2026-12-07) grows the content, and the frame follows it a message later."""
    settle(frame)
    height = "() => Math.ceil(document.documentElement.getBoundingClientRect().height)"
    for _ in range(5):
        content = frame.evaluate(height)
        page.wait_for_function(
            "h => Math.abs(document.querySelector('iframe').getBoundingClientRect().height - h) <= 1",
            arg=content,
        )
        if frame.evaluate(height) == content:
            break
    assert frame.evaluate("() => document.documentElement.scrollHeight <= innerHeight + 1")
    return content


def free_days(api, loc: int, service: int) -> list[str]:
    """Bookable days (any team member) from the sandbox's today on: its clock, not this machine's."""
    status, body = api.call("GET", f"/book_dates/{loc}?service_ids[]={service}")
    assert status == 200, body
    return sorted(body["data"]["booking_dates"])


def service_of(api, loc: int) -> int:
    status, body = api.call("GET", f"/book_services/{loc}")
    assert status == 200, body
    return next(s["id"] for s in body["data"]["services"] if s.get("active") != 0 and s["seance_length"])


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280", "375"])
def test_inline_frame_follows_height_takes_prefill_and_reports_steps(
    browser, stack, api, framable, partner, viewport
):
    service = service_of(api, 202)
    day = free_days(api, 202, service)[2]  # not the first free day, which the calendar would open anyway
    url = partner_page(
        partner,
        f"inline-{viewport['width']}",
        framable,
        {
            "form": 2,
            "service": service,
            "date": day,
            "lang": "de-DE",
            "utm-source": "partner-test",
            "utm-campaign": "spring",
        },
    )
    page = new_page(browser, viewport)
    page.goto(url)
    frame = booking_frame(page, framable)
    wait_step(frame, "master")  # the service came with the tag
    expect(frame.locator("html")).to_have_attribute("lang", "de-DE")
    first = frame_height_followed(page, frame)

    choose_staff(frame, False, any_member=True)  # the days were asked for "any"
    wait_step(frame, "datetime")
    frame.wait_for_selector(f"td[aria-selected='true'] button[data-date='{day}']")  # the date came too
    frame.wait_for_selector("#slots button.slot")
    params = parse_qs(urlsplit(frame.url).query)
    assert params["utm_source"] == ["partner-test"] and params["utm_campaign"] == ["spring"]
    assert params["embed"] == [partner.origin] and params["date"] == [day]
    choose_slot(frame, False)
    second = frame_height_followed(page, frame)
    assert second != first
    fill_contact(frame, False)
    booked = wait_done(frame)
    frame_height_followed(page, frame)

    page.wait_for_function("() => __got.some((e) => e.detail.step === 'done')")
    got = page.evaluate("() => __got")
    assert [e["detail"]["step"] for e in got if e["type"] == "booking:step"] == [
        "master",
        "datetime",
        "contact",
        "done",
    ], got
    made = [e["detail"] for e in got if e["type"] == "booking:made"]
    assert made == [
        {"location": 202, "record": booked["id"], "services": [service], "staff": made[0]["staff"]}
    ]
    assert made[0]["staff"] > 0 and {e["target"] for e in got} == {"IFRAME"}
    raw = page.evaluate("() => __raw")
    assert {m["origin"] for m in raw} == {urlsplit(framable).scheme + "://" + urlsplit(framable).netloc}
    assert {m["data"]["type"] for m in raw} == {
        "booking:ready",
        "booking:height",
        "booking:step",
        "booking:made",
    }
    no_personal_data(raw)
    assert booked["hash"] not in json.dumps(raw)
    assert not page.errors and not frame.page.errors


def frame_tab_to(page, frame, selector: str, limit: int = 40) -> None:
    """Tab (on the partner's page) until the element focused inside the frame matches selector."""
    for _ in range(limit):
        if frame.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"keyboard focus never reached {selector} in the frame")


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280", "375"])
def test_button_opens_the_page_in_a_dialog_by_keyboard(
    browser, stack, framable, partner, axe_source, shots_dir, viewport
):
    w = viewport["width"]
    url = partner_page(partner, f"button-{w}", framable, {"mode": "button", "form": 2, "lang": "lv-LV"})
    page = new_page(browser, viewport, axe=True)
    page.goto(url)
    button = page.locator("button.booking-embed-button")
    expect(button).to_have_text("Pieteikties tiešsaistē")
    assert page.locator("iframe").count() == 0  # nothing of the page loads before the button is used
    tab_to(page, "button.booking-embed-button")
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.booking-embed-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-label", "Pieteikšanās tiešsaistē")
    frame = booking_frame(page, framable)
    wait_step(frame, "service")
    settle(frame)
    # keyboard focus went into the page, on its step heading
    frame.wait_for_function("() => document.activeElement && document.activeElement.id === 'step-title'")
    check_axe(page, axe_source, f"partner page with the booking dialog at {w}px")
    check_axe(frame, axe_source, f"the page in the booking dialog at {w}px")
    page.screenshot(path=str(shots_dir / f"{w}-embed-dialog.png"))

    frame_tab_to(page, frame, "button.card.svc")
    page.keyboard.press("Enter")
    wait_step(frame, "master")
    page.keyboard.press("Escape")  # inside the frame: the partner's dialog closes
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()

    button.click()  # open again: the same page, where it was
    expect(dialog).to_be_visible()
    assert frame.evaluate("() => document.body.dataset.step") == "master"
    page.locator("button.booking-embed-close").click()
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    page.wait_for_function("() => __got.length >= 2")
    assert [e["detail"]["step"] for e in page.evaluate("() => __got")] == ["service", "master"]
    assert not page.errors


def test_frame_ancestors_none_keeps_the_page_out_of_frames(browser, stack, framable, partner):
    """The default (PageFrameAncestors 'none', what the local stack serves): the browser refuses to show the
    page in a frame; the framable server sends the partners' list and no X-Frame-Options."""
    url = partner_page(partner, "refused", stack.page_url, {"form": 2})
    page = new_page(browser, DESKTOP)
    with page.expect_response(lambda r: r.url.startswith(stack.page_url) and "embed=" in r.url) as resp:
        page.goto(url)
    headers = resp.value.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    frame = page.wait_for_selector("iframe[title]").content_frame()
    frame.wait_for_url("chrome-error://**")
    with urllib.request.urlopen(framable, timeout=10) as r:
        assert "frame-ancestors http://localhost:*;" in r.headers["Content-Security-Policy"]
        assert r.headers.get("X-Frame-Options") is None


def test_messages_are_origin_checked_both_ways(browser, stack, framable, partner):
    # The page framed by this partner, told to report to another origin: it posts nothing at all.
    liar = framable + "?form=2&embed=" + quote("http://evil.example", safe="")
    url = partner.add(
        "/liar.html",
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title></head>
<body><main><h1>Partner</h1><iframe title="Booking" src="{liar}" style="width:100%;height:600px"></iframe>
</main><script>{PARTNER_RECORDER}</script></body></html>""",
    )
    page = new_page(browser, DESKTOP)
    page.goto(url)
    frame = booking_frame(page, framable)
    wait_step(frame, "service")
    frame.evaluate("() => import('./frame.js')")  # evaluated: whatever it would post is on its way
    frame.evaluate("() => parent.postMessage('sentinel', '*')")  # delivered after anything posted before
    page.wait_for_function("() => __raw.some((m) => m.data === 'sentinel')")
    assert [m["data"] for m in page.evaluate("() => __raw")] == ["sentinel"]
    assert frame.evaluate("() => document.documentElement.classList.contains('framed')") is False

    # embed.js takes messages only from its own frame, from the page's origin.
    url = partner_page(
        partner,
        "forged",
        framable,
        {"form": 2},
        after='<iframe title="Other" srcdoc="<p>other</p>" style="height:40px"></iframe>',
    )
    page.goto(url)
    frame = booking_frame(page, framable)
    wait_step(frame, "service")
    height = frame_height_followed(page, frame)
    fake = {"type": "booking:made", "location": 202, "record": 1, "services": [1], "staff": 1}
    page.evaluate("m => { postMessage(m, '*'); postMessage('sentinel-top', '*'); }", fake)
    other = page.frame_locator("iframe[title='Other']").locator("p")
    other.evaluate(
        "(_, m) => { parent.postMessage(m, '*');"
        " parent.postMessage({type: 'booking:height', height: 5000}, '*');"
        " parent.postMessage('sentinel-other', '*'); }",
        fake,
    )
    page.wait_for_function(
        "() => ['sentinel-top', 'sentinel-other'].every((s) => __raw.some((m) => m.data === s))"
    )
    assert not any(e["type"] == "booking:made" for e in page.evaluate("() => __got"))
    box = page.locator("iframe[title]").first.bounding_box()
    assert abs(box["height"] - height) <= 1


def test_the_documented_example_page(browser, stack, framable, partner):
    html = (ROOT / "docs" / "embed-example.html").read_text()
    assert html.count('src="https://book.example.com/embed.js"') == 2
    url = partner.add("/example.html", html.replace("https://book.example.com/", framable))
    page = new_page(browser, DESKTOP)
    page.goto(url)
    inline = page.wait_for_selector("#booking iframe").content_frame()
    inline.wait_for_url(framable + "**")
    wait_step(inline, "service")
    page.wait_for_selector("#events li")
    assert "booking:step" in page.locator("#events").inner_text()
    page.get_by_role("button", name="Book a massage").click()
    dialog = page.locator("dialog.booking-embed-dialog")
    expect(dialog).to_be_visible()
    in_dialog = dialog.locator("iframe").element_handle().content_frame()
    in_dialog.wait_for_url(framable + "**")
    wait_step(in_dialog, "datetime")  # the service and "any team member" came with the tag
    params = parse_qs(urlsplit(in_dialog.url).query)
    assert params["utm_medium"] == ["header-button"] and params["service"] == ["20011"]
    assert not page.errors
