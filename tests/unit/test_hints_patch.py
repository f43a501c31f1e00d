"""hints_patch.py: lists of dates and of team members from before changes that only took time, patched from
the cached lists of times (on moto's DynamoDB, the notes written as bookings and webhooks write them)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from booking_gateway import cache, hints_patch, holds
from booking_gateway.read_params import build_query

LOC, ANNA, BEN, SERVICE = 101, 1011, 1012, 10011
DAY, OTHER = "2026-12-02", "2026-12-03"
AT = datetime.fromisoformat(f"{DAY}T10:00:00+02:00").timestamp()  # Anna's only free time that day


def dates_query(staff: int) -> list[tuple[str, str]]:
    return sorted(build_query([SERVICE], staff_id=staff or None))


def store_dates(clock, staff: int, dates=(DAY, OTHER)) -> tuple[cache.Entry, cache.Gen]:
    """The list of dates as read_path stores it, read back with the hints' generation."""
    data = {
        "booking_dates": list(dates),
        "booking_days": {"12": [int(d[-2:]) for d in dates]},
        "working_dates": list(dates),
        "working_days": {"12": [int(d[-2:]) for d in dates]},
    }
    path = f"/book_dates/{LOC}"
    key = cache.cache_key("book_dates", LOC, path, dates_query(staff))
    _, gen = cache.read(key, LOC)
    cache.write(key, json.dumps({"success": True, "data": data, "meta": []}), clock.now(), 60, 900, gen)
    return cache.read(key, LOC)


def store_times(clock, staff: int, starts: list[float], day: str = DAY) -> None:
    times = [
        {"datetime": datetime.fromtimestamp(s).astimezone().isoformat(), "sum_length": 3600} for s in starts
    ]
    key = holds.times_key(LOC, staff, day, [SERVICE])
    _, gen = cache.read(key, LOC, day)
    cache.write(key, json.dumps({"success": True, "data": times, "meta": []}), clock.now(), 30, 900, gen)


def change(taken: list, freed: bool = False, days=(DAY,)) -> None:
    """A booking, cancel or webhook's change: its days bumped and noted, as bookings.py and webhooks.py do."""
    holds.record(LOC, cache.bump(LOC, days), taken, freed)


def patched(entry: cache.Entry, staff: int) -> dict | None:
    _, gen = cache.read(cache.cache_key("book_dates", LOC, f"/book_dates/{LOC}", dates_query(staff)), LOC)
    out = hints_patch.dates(entry, gen, LOC, dates_query(staff))
    if out is not None:
        assert out.gen == gen and out.fresh_until == entry.fresh_until  # as fresh as the list was
    return None if out is None else json.loads(out.body)["data"]


def test_a_booking_that_takes_the_days_last_time_takes_the_date(ddb, clock):
    entry, _ = store_dates(clock, ANNA)
    store_times(clock, ANNA, [AT])
    change([(ANNA, AT, AT + 3600)])
    data = patched(entry, ANNA)
    assert data["booking_dates"] == [OTHER] and data["booking_days"] == {"12": [3]}
    assert data["working_dates"] == [DAY, OTHER]  # still a working day, now full


def test_a_booking_that_leaves_time_keeps_the_date_without_asking(ddb, clock):
    entry, _ = store_dates(clock, ANNA)
    store_times(clock, ANNA, [AT, AT + 7200])
    change([(ANNA, AT, AT + 3600)])
    assert patched(entry, ANNA)["booking_dates"] == [DAY, OTHER]


def test_another_team_members_booking_leaves_the_dates_as_they_were(ddb, clock):
    entry, _ = store_dates(clock, ANNA)  # no list of Anna's times cached: not needed
    change([(BEN, AT, AT + 3600)])
    assert patched(entry, ANNA)["booking_dates"] == [DAY, OTHER]


def test_a_change_on_a_day_the_list_does_not_offer_changes_nothing(ddb, clock):
    entry, _ = store_dates(clock, ANNA, dates=(OTHER,))
    change([(ANNA, AT, AT + 3600)])
    assert patched(entry, ANNA)["booking_dates"] == [OTHER]


@pytest.mark.parametrize(
    "why",
    ["no list of times", "a cancel", "any emptied", "times older than the dates", "a note without days"],
)
def test_what_is_not_known_is_asked_again(ddb, clock, why):
    staff = 0 if why == "any emptied" else ANNA
    if why == "times older than the dates":
        store_times(clock, staff, [AT])
        clock.advance(1)
    entry, _ = store_dates(clock, staff)
    if why not in ("no list of times", "times older than the dates"):
        store_times(clock, staff, [AT])
    if why == "a cancel":
        change([], freed=True)  # time came back: a date may have too
    elif why == "a note without days":
        cache.note_all(
            LOC, cache.bump(LOC, [DAY]), json.dumps({"taken": [[ANNA, AT, AT + 3600]], "freed": False}), 60
        )
    else:
        change([(ANNA, AT, AT + 3600)])
    assert patched(entry, staff) is None


def test_every_change_since_counts_and_a_list_of_times_behind_is_patched_too(ddb, clock):
    entry, _ = store_dates(clock, ANNA)
    clock.advance(1)
    store_times(clock, ANNA, [AT, AT + 7200])
    change([(ANNA, AT + 7200, AT + 10800)])
    assert patched(entry, ANNA)["booking_dates"] == [DAY, OTHER]
    change([(ANNA, AT, AT + 3600)])  # the last time left
    assert patched(entry, ANNA)["booking_dates"] == [OTHER]


# -- team members (book_staff without a datetime) ------------------------------------------------------------
def store_staff(clock, nearest: dict[int, str | None], **extra: str) -> cache.Entry:
    members = [
        {"id": m, "bookable": d is not None, **({"seance_date": d} if d else {})} for m, d in nearest.items()
    ]
    query = sorted([*build_query([SERVICE]), *extra.items()])
    key = cache.cache_key("book_staff", LOC, f"/book_staff/{LOC}", query)
    _, gen = cache.read(key, LOC)
    cache.write(key, json.dumps({"success": True, "data": members, "meta": []}), clock.now(), 60, 900, gen)
    return cache.read(key, LOC)[0]


def staff_patched(entry: cache.Entry, **extra: str) -> cache.Entry | None:
    _, gen = cache.read("any", LOC)
    query = sorted([*build_query([SERVICE]), *extra.items()])
    out = hints_patch.staff(entry, gen, LOC, query)
    assert out is None or (out.gen == gen and out.body == entry.body and out.fresh_until == entry.fresh_until)
    return out


def test_team_members_stay_as_listed_while_their_nearest_day_has_times_left(ddb, clock):
    entry = store_staff(clock, {ANNA: DAY, BEN: OTHER})
    clock.advance(1)
    store_times(clock, ANNA, [AT, AT + 7200])
    change([(ANNA, AT, AT + 3600)])  # Anna's nearest day keeps a time
    change([(BEN, AT, AT + 3600)])  # Ben's change is on a day that is not his nearest
    assert staff_patched(entry) is not None


@pytest.mark.parametrize("why", ["filled", "no list of times", "at a datetime", "a cancel"])
def test_team_members_are_asked_again_when_a_nearest_day_may_have_moved(ddb, clock, why):
    extra = {"datetime": f"{DAY}T10:00:00+02:00"} if why == "at a datetime" else {}
    entry = store_staff(clock, {ANNA: DAY, BEN: None}, **extra)
    clock.advance(1)
    if why != "no list of times":
        store_times(clock, ANNA, [AT])
    change([], freed=True) if why == "a cancel" else change([(ANNA, AT, AT + 3600)])
    assert staff_patched(entry, **extra) is None
