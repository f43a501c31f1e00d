"""The warmer on the local stack (template.yaml's WarmerFunction, run as its schedule runs it): after a run
the page's first requests, and the times of the next days for what visitors read lately, are cache hits
that never reach Altegio. How it yields to visitors in the budget: tests/unit/test_budget.py."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from gw_kit import http

# Until a pass finds everything fresh; without the first-visit fill (its keys: tests/unit/test_warmer.py),
# which takes a minute of calls on a loaded machine.
WARM_NOW = {"seconds": 60, "until_warm": True, "fill": False}
SERVICE = "10011"


@pytest.fixture
def stack(local_stack):
    local_stack.reset()
    return local_stack


def _hits(stack, targets: list[str]) -> list[tuple[str, str]]:
    """(target, X-Cache) of each, and no call may reach the sandbox meanwhile."""
    seen = len(stack.sandbox.requests())
    key = {"x-api-key": stack.api_key}
    out = [(t, http(stack.api_base + t, key).headers.get("x-cache")) for t in targets]
    assert len(stack.sandbox.requests()) == seen, "a warmed read reached Altegio"
    return out


def test_the_schedule_is_the_templates_and_runs_the_warmer(stack, monkeypatch):
    from booking_gateway import warmer

    monkeypatch.setattr(warmer, "RUN_SECONDS", 10.0)  # 50 s in Lambda; a pass stops at its end
    (schedule,) = stack.scheduler.schedules
    assert (schedule.function, schedule.every_s) == ("WarmerFunction", 60)
    ran = stack.scheduler.run_now("WarmerFunction")  # a scheduled event, as EventBridge sends it
    assert "skipped" not in ran and ran["refreshed"] >= 6 and ran["passes"] >= 1


def test_after_a_warm_run_the_pages_first_requests_are_cache_hits(stack):
    ran = stack.scheduler.run_now("WarmerFunction", WARM_NOW)
    assert ran["refreshed"] >= 6, ran
    first = ["/bookform/1", "/book_services/101", "/book_staff/101", "/bookform/2", "/book_services/202"]
    assert _hits(stack, first) == [(t, "hit") for t in first]
    again = stack.scheduler.run_now("WarmerFunction", WARM_NOW)
    assert again.get("refreshed", 0) == 0 and again["fresh"] >= 6  # nothing due: no call spent


def test_the_times_of_pairs_read_lately_are_warmed_for_the_next_days(stack):
    key = {"x-api-key": stack.api_key}
    today = dt.datetime.now(ZoneInfo("Europe/Riga")).date()  # location 101's today, as the warmer takes it
    # A visitor chose a service and "any team member" and opened today's times.
    staff = http(f"{stack.api_base}/book_staff/101?service_ids[]={SERVICE}", key)
    members = [m["id"] for m in staff.json()["data"]]
    opened = http(f"{stack.api_base}/book_times/101/0/{today}?service_ids[]={SERVICE}", key)
    assert members and opened.status == 200
    ran = stack.scheduler.run_now("WarmerFunction", WARM_NOW)
    assert ran["refreshed"] >= 3 * (1 + len(members)) - 1, ran
    days = [(today + dt.timedelta(days=i)).isoformat() for i in range(3)]
    targets = [f"/book_times/101/{m}/{d}?service_ids[]={SERVICE}" for d in days for m in (0, *members)]
    assert _hits(stack, targets) == [(t, "hit") for t in targets]


def test_a_run_under_way_is_not_doubled(stack):
    from booking_gateway import warmer

    assert warmer._take_run(30)
    try:
        assert stack.scheduler.run_now("WarmerFunction") == {"skipped": "another warmer run is under way"}
    finally:
        warmer._end_run()
    counts = json.dumps(stack.scheduler.run_now("WarmerFunction", WARM_NOW))
    assert "skipped" not in counts


def test_reads_counted_before_a_reset_are_not_warmed_after_it(stack):
    """A reset starts from nothing: reads a warm container counted and had not sent yet (reads.py sends
    every FLUSH_SECONDS) must not land in the emptied table. The warmer sends its container's counts before
    it plans, so earlier tests' reads filled later tests' plans (a sweep of 2026-12-07: 270 keys planned,
    the run ended before all were warm, and the next run refreshed 72)."""
    key = {"x-api-key": stack.api_key}
    today = dt.datetime.now(ZoneInfo("America/New_York")).date()
    days = [(today + dt.timedelta(days=i)).isoformat() for i in (1, 2)]
    for day in days:  # the first may be sent at once (the counts' clock began earlier); the second waits
        assert http(f"{stack.api_base}/book_times/202/0/{day}?service_ids[]=20011", key).status == 200
    stack.reset()
    seen = stack.sandbox.requests()[-1]["seq"] if stack.sandbox.requests() else 0
    stack.scheduler.run_now("WarmerFunction", WARM_NOW)
    warmed = [e["path"] for e in stack.sandbox.requests(seen)]
    assert warmed and not [p for p in warmed if "/book_times/202/" in p], warmed
