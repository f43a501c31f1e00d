"""Derived answers on the local stack equal Altegio's (the sandbox's) own: book_staff at a datetime for
"any", and book_times of "any" team member, from that day's fresh cached times of each team member;
book_staff_seances from the cached days and the first one's times (derive.py); with no upstream call.
From aged lists, the same answers stand in where Altegio cannot be asked and the read has no copy."""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse

import pytest
from gw_kit import PARTNER_TOKEN, http

from sandbox import FaultRule

LOCATION, SERVICE = 101, 10011


@pytest.fixture
def stack(local_stack):
    local_stack.reset()
    return local_stack


def _get(stack, target: str):
    """Through the local stack's API Gateway (with its key), or to the in-process `gateway`."""
    if hasattr(stack, "api_base"):
        return http(stack.api_base + target, {"x-api-key": stack.api_key})
    return stack.get(target)


def _at(when: str) -> str:
    return f"/book_staff/{LOCATION}?service_ids[]={SERVICE}&datetime={urllib.parse.quote(when)}"


def _times(member: int, day: str, service: int = SERVICE) -> str:
    return f"/book_times/{LOCATION}/{member}/{day}?service_ids[]={service}"


def _warm_day(stack, service: int = SERVICE) -> tuple[list[int], str, dict[int, list[str]]]:
    """The team members for the service and, for the first of the next days with free times, each one's
    times (all cached by these reads, as the warmer or visitors leave them)."""
    members = [m["id"] for m in _get(stack, f"/book_staff/{LOCATION}?service_ids[]={service}").json()["data"]]
    state = stack.sandbox.state  # its now: pinned by the date matrix, else the real one
    today = state.now().astimezone(state.world.locations[LOCATION].tz).date()
    for i in range(1, 6):
        day = (today + dt.timedelta(days=i)).isoformat()
        lists = {m: _get(stack, _times(m, day, service)) for m in members}
        times = {m: [s["datetime"] for s in answer.json()["data"]] for m, answer in lists.items()}
        if any(times.values()):
            return members, day, times
    raise AssertionError(f"no free time for service {service} in the sandbox's next five days from {today}")


def test_book_staff_at_a_datetime_is_derived_and_equals_altegios(stack):
    members, day, times = _warm_day(stack)
    assert len(members) >= 2
    every = sorted({t for ts in times.values() for t in ts})
    only_some = [t for t in every if sum(t in ts for ts in times.values()) < len(members)]
    offset = every[0][19:]  # the location's offset, as its datetimes carry it
    asked = [every[0], every[-1], *only_some[:2], f"{day}T03:00:00{offset}", f"{day}T12:07:00{offset}"]
    seen = len(stack.sandbox.requests())
    derived = {when: _get(stack, _at(when)) for when in asked}
    assert len(stack.sandbox.requests()) == seen, "a derived answer reached Altegio"
    for when, answer in derived.items():
        assert answer.status == 200 and answer.headers.get("x-cache-source") == "derived", when
        assert answer.headers["x-cache"] == "hit"
        own = http(stack.sandbox.api_base + _at(when), {"Authorization": f"Bearer {PARTNER_TOKEN}"})
        assert answer.json() == own.json(), when
    bookable = {when: [m["id"] for m in a.json()["data"] if m["bookable"]] for when, a in derived.items()}
    assert bookable[f"{day}T03:00:00{offset}"] == [] and any(bookable.values())
    assert any(0 < len(ids) < len(members) for ids in bookable.values()) or not only_some


def test_without_every_members_fresh_times_altegio_is_asked(stack):
    members, day, times = _warm_day(stack)
    when = next(t for ts in times.values() for t in ts)
    # One member's list of that day is gone: nothing to derive from.
    stack.dynamodb.Table("CacheTable").delete_item(Key={"pk": _key(members[-1], day)})
    seen = len(stack.sandbox.requests())
    answer = _get(stack, _at(when))
    assert answer.status == 200 and "x-cache-source" not in answer.headers
    assert answer.headers["x-cache"] == "miss" and len(stack.sandbox.requests()) == seen + 1


@pytest.mark.parametrize("service", [SERVICE, 10022], ids=["three members", "one member"])
def test_any_team_members_times_are_derived_and_equal_altegios(stack, service):
    members, day, times = _warm_day(stack, service)
    seen = len(stack.sandbox.requests())
    derived = _get(stack, _times(0, day, service))
    assert len(stack.sandbox.requests()) == seen, "a derived answer reached Altegio"
    assert derived.status == 200 and derived.headers.get("x-cache-source") == "derived", derived.body
    assert derived.headers["x-cache"] == "hit"
    own = http(stack.sandbox.api_base + _times(0, day, service), {"Authorization": f"Bearer {PARTNER_TOKEN}"})
    assert derived.json() == own.json()
    shown = [s["datetime"] for s in derived.json()["data"]]
    assert set(shown) == {t for ts in times.values() for t in ts} and len(shown) == len(set(shown))
    if len({tuple(ts) for ts in times.values()}) > 1:  # a union: more than the fewest one member has
        assert min(len(ts) for ts in times.values()) < len(shown)


def test_any_team_members_times_are_asked_without_every_members_fresh_list(stack):
    members, day, _ = _warm_day(stack)
    stack.dynamodb.Table("CacheTable").delete_item(Key={"pk": _key(members[0], day)})
    seen = len(stack.sandbox.requests())
    answer = _get(stack, _times(0, day))
    assert answer.status == 200 and "x-cache-source" not in answer.headers
    assert answer.headers["x-cache"] == "miss" and len(stack.sandbox.requests()) == seen + 1


def _key(member: int, day: str) -> str:
    from booking_gateway import cache

    path = f"/book_times/{LOCATION}/{member}/{day}"
    return cache.cache_key("book_times", LOCATION, path, [("service_ids[]", str(SERVICE))])


def _nearest_first(stack, member: int) -> tuple[str, str]:
    """Cache the days the page asks (this month and the next) and the first one's times: that day, and
    the path of the nearest times from today."""
    state = stack.sandbox.state
    today = state.now().astimezone(state.world.locations[LOCATION].tz).date()
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=62)).replace(day=1) - dt.timedelta(days=1)
    dates = _get(stack, f"/book_dates/{LOCATION}?service_ids[]={SERVICE}&staff_id={member}"
                 f"&date_from={first}&date_to={last}")  # fmt: skip
    day = min(dates.json()["data"]["booking_dates"])
    assert _get(stack, _times(member, day)).json()["data"], day
    return day, f"/book_staff_seances/{LOCATION}/{member}?service_ids[]={SERVICE}"


@pytest.mark.parametrize("member", [0, 1011], ids=["any", "a team member"])
def test_the_nearest_times_are_derived_from_the_days_and_the_first_days_times(stack, clock, member):
    clock.pin(stack.sandbox.state.now())  # the gateway's today is the sandbox's (pinned by the date matrix)
    day, nearest = _nearest_first(stack, member)
    seen = len(stack.sandbox.requests())
    derived = _get(stack, nearest)
    assert len(stack.sandbox.requests()) == seen, "a derived answer reached Altegio"
    assert derived.status == 200 and derived.headers.get("x-cache-source") == "derived", derived.body
    own = http(stack.sandbox.api_base + nearest, {"Authorization": f"Bearer {PARTNER_TOKEN}"})
    assert derived.json() == own.json() and derived.json()["data"]["seance_date"] == day


def test_the_nearest_times_are_asked_without_the_first_days_times_or_from_a_date(stack, clock):
    clock.pin(stack.sandbox.state.now())
    day, nearest = _nearest_first(stack, 1011)
    from_day = _get(stack, f"{nearest}&datetime={day}")  # from another date: what the days say is not enough
    assert from_day.status == 200 and "x-cache-source" not in from_day.headers
    stack.dynamodb.Table("CacheTable").delete_item(Key={"pk": _key(1011, day)})
    seen = len(stack.sandbox.requests())
    answer = _get(stack, nearest)
    assert answer.status == 200 and "x-cache-source" not in answer.headers
    assert answer.headers["x-cache"] == "miss" and len(stack.sandbox.requests()) == seen + 1


def _own(stack, target: str):
    """Altegio's (the sandbox's) own answer."""
    return http(stack.sandbox.api_base + target, {"Authorization": f"Bearer {PARTNER_TOKEN}"})


def test_with_altegio_refusing_any_team_members_times_stand_in_derived_from_aged_lists(gateway):
    members, day, _ = _warm_day(gateway)
    own = _own(gateway, _times(0, day))
    gateway.update_items("c#book_", fresh_until=time.time() - 1)  # the team members and their lists aged
    gateway.sandbox.configure(faults=[FaultRule(kind="error", status=429, rate=1.0)])
    answer = gateway.get(_times(0, day))
    assert answer.status == 200 and answer.headers["x-cache"] == "stale", answer.body
    assert answer.json() == own.json()
    # One member's list gone: nothing is known exactly, so Altegio's refusal stands, as without derivations.
    from booking_gateway import dynamo
    from booking_gateway.settings import get_settings

    dynamo.client().delete_item(
        TableName=get_settings().cache_table, Key={"pk": {"S": _key(members[0], day)}}
    )
    refused = gateway.get(_times(0, day))
    assert refused.status == 503 and refused.headers["x-cache"] == "miss"


@pytest.mark.gw_env(UPSTREAM_PER_MINUTE="4")  # reads get 3: the days, the first day's times, one more
def test_with_the_budget_spent_the_nearest_times_stand_in_derived_from_aged_lists(gateway, clock):
    clock.pin(gateway.sandbox.state.now())  # the gateway's today is the sandbox's (pinned by the date matrix)
    day, nearest = _nearest_first(gateway, 1011)
    own = _own(gateway, nearest)
    assert gateway.get("/bookform/1").status == 200  # the reads' minute is spent
    clock.advance(40)  # the days and the times aged (fresh for 30 s), the minute not yet over
    answer = gateway.get(nearest)
    assert answer.status == 200 and answer.headers["x-cache"] == "stale", answer.body
    assert answer.json() == own.json() and answer.json()["data"]["seance_date"] == day
    assert int(answer.headers["age"]) >= 40
    assert gateway.get(f"{nearest}&datetime={day}").status == 503  # from a date: nothing to derive from
