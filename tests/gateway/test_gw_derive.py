"""Derived answers on the local stack equal Altegio's (the sandbox's) own: book_staff at a datetime for
"any", and book_times of "any" team member, from that day's fresh cached times of each team member
(derive.py), with no upstream call."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest
from gw_kit import PARTNER_TOKEN, http

LOCATION, SERVICE = 101, 10011


@pytest.fixture
def stack(local_stack):
    local_stack.reset()
    return local_stack


def _get(stack, target: str):
    return http(stack.api_base + target, {"x-api-key": stack.api_key})


def _at(when: str) -> str:
    return f"/book_staff/{LOCATION}?service_ids[]={SERVICE}&datetime={urllib.parse.quote(when)}"


def _asked(stack) -> int:
    """Reads of these lists that reached Altegio (a request another test left hanging may land meanwhile)."""
    paths = (f"/api/v1/book_staff/{LOCATION}", f"/api/v1/book_times/{LOCATION}/")
    return sum(r["method"] == "GET" and r["path"].startswith(paths) for r in stack.sandbox.requests())


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
    seen = _asked(stack)
    derived = {when: _get(stack, _at(when)) for when in asked}
    assert _asked(stack) == seen, "a derived answer reached Altegio"
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
    seen = _asked(stack)
    answer = _get(stack, _at(when))
    assert answer.status == 200 and "x-cache-source" not in answer.headers
    assert answer.headers["x-cache"] == "miss" and _asked(stack) == seen + 1


@pytest.mark.parametrize("service", [SERVICE, 10022], ids=["three members", "one member"])
def test_any_team_members_times_are_derived_and_equal_altegios(stack, service):
    members, day, times = _warm_day(stack, service)
    seen = _asked(stack)
    derived = _get(stack, _times(0, day, service))
    assert _asked(stack) == seen, "a derived answer reached Altegio"
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
    seen = _asked(stack)
    answer = _get(stack, _times(0, day))
    assert answer.status == 200 and "x-cache-source" not in answer.headers
    assert answer.headers["x-cache"] == "miss" and _asked(stack) == seen + 1


def _key(member: int, day: str) -> str:
    from booking_gateway import cache

    path = f"/book_times/{LOCATION}/{member}/{day}"
    return cache.cache_key("book_times", LOCATION, path, [("service_ids[]", str(SERVICE))])
