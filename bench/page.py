"""The booking page in headless Chromium against the local stack: first-load bytes, time from navigation
to the first bookable day and to slots shown, and from the tap on a day to its times shown (the click's
own event time to the first rendered time button), with a cold and then a warm gateway cache."""

from __future__ import annotations

import shutil
import statistics
from datetime import datetime

from .contenders import StackProcess
from .procs import SandboxProcess
from .settings import Settings

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000
LOOK_MS = 1000  # a visitor's look at the days before tapping one (the visitor model thinks 1-3 s)
RTT_MS = 100  # a phone's round trip to a deployed gateway (the local stack answers in a few ms)
# Deep link to the date step: service chosen, "any" team member (web/README.md, URL).
DATE_STEP = "?form=1&service=10011&staff=0"
READY = "() => { const el = document.querySelector(%r); return el ? performance.now() : false; }"
# The first click's own time (event.timeStamp: the performance.now() clock), caught before the page's
# handlers run; then, polled each frame, the time from it to the first time button rendered.
TAP = (
    "() => { window.__tap = null; addEventListener('click', (e) => "
    "{ if (window.__tap === null) window.__tap = e.timeStamp; }, { capture: true }); }"
)
TAP_TO_SLOTS = (
    "() => { const el = document.querySelector('#slots button.slot');"
    " return el && window.__tap !== null ? performance.now() - window.__tap : false; }"
)


def _visit(
    browser, url: str, click_day: bool, now: datetime | None = None, look_ms: int = 0, rtt_ms: int = 0
) -> dict:
    """One visit's figures. `now`: the page's clock starts there (a sandbox pinned at another instant, as
    the date matrix runs it), else the browser's own. `look_ms`: the pause between the days shown and the
    tap (0: the tap comes the moment they are, before anything the page asks ahead can arrive). `rtt_ms`:
    every request takes this much longer (Chromium's network emulation), as from a phone to a deployment."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="Europe/Riga"
    )
    if now is not None:
        ctx.clock.install(time=now)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    if rtt_ms:
        conditions = {"offline": False, "latency": rtt_ms, "downloadThroughput": -1, "uploadThroughput": -1}
        ctx.new_cdp_session(page).send("Network.emulateNetworkConditions", conditions)
    seen: dict[str, dict] = {}

    def done(request) -> None:
        try:
            sizes = request.sizes()
        except Exception:  # the request went away with its page
            return
        kind = "api" if "/api/" in request.url else "static"
        seen[request.url + "#" + str(len(seen))] = {
            "kind": kind,
            "bytes": sizes.get("responseBodySize", 0) + sizes.get("responseHeadersSize", 0),
        }

    page.on("requestfinished", done)
    out: dict = {}
    try:
        page.goto(url, wait_until="commit")
        out["first_bookable_day_ms"] = round(
            page.wait_for_function(READY % "button.day.free", polling="raf").json_value(), 1
        )
        if click_day:
            if look_ms:
                page.wait_for_timeout(look_ms)
            page.evaluate(TAP)
            page.locator("button.day.free").first.click()
            out["tap_to_slots_ms"] = round(
                page.wait_for_function(TAP_TO_SLOTS, polling="raf").json_value(), 1
            )
            out["slots_shown_ms"] = round(
                page.wait_for_function(READY % "#slots button.slot", polling="raf").json_value(), 1
            )
        page.wait_for_load_state("networkidle")
    finally:
        out["requests"] = len(seen)
        out["bytes_static"] = sum(v["bytes"] for v in seen.values() if v["kind"] == "static")
        out["bytes_api"] = sum(v["bytes"] for v in seen.values() if v["kind"] == "api")
        ctx.close()
    return out


def _first_load(browser, url: str) -> dict:
    """Bytes over the wire for the first screen (service step), nothing cached in the browser."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = ctx.new_page()
    total = {"static": 0, "api": 0, "requests": 0}

    def done(request) -> None:
        try:
            sizes = request.sizes()
        except Exception:
            return
        total["api" if "/api/" in request.url else "static"] += sizes.get("responseBodySize", 0) + sizes.get(
            "responseHeadersSize", 0
        )
        total["requests"] += 1

    page.on("requestfinished", done)
    try:
        page.goto(url, wait_until="networkidle", timeout=TIMEOUT_MS)
        page.wait_for_selector("button.card.svc", timeout=TIMEOUT_MS)
    finally:
        ctx.close()
    return {
        "bytes_total": total["static"] + total["api"],
        "bytes_static": total["static"],
        "bytes_api": total["api"],
        "requests": total["requests"],
    }


def measure(s: Settings, runs: int = 3, log=print) -> dict:
    chromium = shutil.which("chromium")
    if not chromium:
        return {"available": False, "note": "Debian's chromium is not installed (make browser)"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"available": False, "note": "playwright is not installed (make venv)"}
    sandbox = SandboxProcess(s)
    stack = None
    try:
        stack = StackProcess(sandbox.api_base)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
            try:
                cold = _visit(browser, stack.page_url + DATE_STEP, click_day=True)
                first = _first_load(browser, stack.page_url + "?form=1")
                warm = [_visit(browser, stack.page_url + DATE_STEP, click_day=True) for _ in range(runs)]
                far = [
                    [
                        _visit(browser, stack.page_url + DATE_STEP, True, look_ms=look, rtt_ms=RTT_MS)
                        for _ in range(runs)
                    ]
                    for look in (0, LOOK_MS)
                ]
                version = browser.version
            finally:
                browser.close()
    except Exception as exc:  # the page figures must not sink the load figures
        log(f"  page: failed: {type(exc).__name__}: {exc}")
        return {"available": False, "note": f"{type(exc).__name__}: {str(exc)[:300]}"}
    finally:
        if stack is not None:
            stack.stop()
        sandbox.stop()

    def med(key: str, visits: list[dict] = warm):
        vals = [w[key] for w in visits if w.get(key) is not None]
        return round(statistics.median(vals), 1) if vals else None

    return {
        "available": True,
        "chromium": version,
        "first_load": first,
        "cold_cache": cold,
        "warm_cache": {
            "first_bookable_day_ms": med("first_bookable_day_ms"),
            "slots_shown_ms": med("slots_shown_ms"),
            "tap_to_slots_ms": med("tap_to_slots_ms"),
            "runs": runs,
        },
        "far_warm_cache": {
            "rtt_ms": RTT_MS,
            "first_bookable_day_ms": med("first_bookable_day_ms", far[0]),
            "tap_to_slots_ms": med("tap_to_slots_ms", far[0]),
            "tap_to_slots_after_look_ms": med("tap_to_slots_ms", far[1]),
            "runs": runs,
        },
        "note": "fresh browser context each visit (no browser cache); 'cold' is the first visit after "
        "the stack started (empty gateway cache); times from navigation start (performance.now()), "
        "tap_to_slots_ms from the click on a day (its event time) to its first time button rendered; "
        f"'far': every request {RTT_MS} ms longer (network emulation), the click the moment the days show "
        f"or (_after_look_ms) {LOOK_MS} ms later, as a visitor looks",
    }
