"""holds.py's patching of lists of times: overlap rules, lists minus taken intervals, stand_in in memory."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from booking_gateway import cache, holds

T0 = datetime.fromisoformat("2026-12-01T10:00:00+02:00").timestamp()
ANNA, BEN = 1011, 1012


def slot(minutes_after: int, length: int = 3600, key: str = "sum_length") -> dict:
    when = datetime.fromtimestamp(T0 + minutes_after * 60).astimezone().isoformat()
    return {"datetime": when, key: length}


@pytest.mark.parametrize(
    ("start", "end", "taken", "member", "overlaps"),
    [
        (T0, T0 + 60, [(ANNA, T0 + 60, T0 + 120)], ANNA, False),  # touching ends do not overlap
        (T0, T0 + 61, [(ANNA, T0 + 60, T0 + 120)], ANNA, True),
        (T0, T0 + 61, [(ANNA, T0 + 60, T0 + 120)], BEN, False),  # another member's time
        (T0, T0 + 61, [(ANNA, T0 + 60, T0 + 120)], 0, True),  # "any": everyone's
        (T0, T0 + 61, [(0, T0 + 60, T0 + 120)], BEN, True),  # a booking that named nobody: everyone's
        (T0, T0 + 61, [], 0, False),
    ],
)
def test_overlap_rules(start, end, taken, member, overlaps):
    assert holds._overlaps(start, end, taken, member) is overlaps


def test_a_slot_lasts_its_listed_length_else_its_seance_length_else_a_second():
    taken = [(ANNA, T0 + 1800, T0 + 1900)]
    assert holds._clashes(slot(0, 3600), taken, ANNA)
    assert holds._clashes(slot(0, 3600, key="seance_length"), taken, ANNA)
    assert not holds._clashes(slot(0, 1800), taken, ANNA)
    assert not holds._clashes({"datetime": slot(0)["datetime"]}, taken, ANNA)  # no length: one second
    assert holds._clashes({"datetime": slot(30)["datetime"]}, taken, ANNA)


def test_a_days_list_loses_only_the_taken_times():
    times = [slot(0), slot(60), slot(120)]
    assert holds.without(times, [(ANNA, T0 + 3600, T0 + 7200)], ANNA) == [times[0], times[2]]
    assert holds.without(times, [(ANNA, T0 + 3600, T0 + 7200)], BEN) == times


def test_nearest_times_lose_the_taken_ones_and_are_unknown_once_none_is_left():
    nearest = {"seance_date": "2026-12-01", "seances": [slot(0), slot(60)]}
    assert holds.without(nearest, [(ANNA, T0, T0 + 60)], ANNA) == {**nearest, "seances": [slot(60)]}
    assert holds.without(nearest, [(ANNA, T0, T0 + 7200)], ANNA) is None  # the nearest day is another


def test_anything_else_is_not_a_list_of_times():
    with pytest.raises(TypeError):
        holds.without({"no": "seances"}, [], 0)


# -- stand_in, with the notes in memory -----------------------------------------------------------------
def entry(times: list[dict], gen: cache.Gen) -> cache.Entry:
    body = json.dumps({"success": True, "data": times, "meta": []})
    return cache.Entry(body=body, fetched_at=T0 - 100, fresh_until=T0 - 70, expires_at=T0 + 800, gen=gen)


@pytest.fixture
def noted(monkeypatch, clock):
    """Notes by generation of one scope, as cache.note() would keep them (a missing one: None)."""
    kept: dict[int, list] = {}

    def notes(location_id, scope, gens):
        gens = list(gens)
        return [json.dumps(kept[g]) for g in gens] if all(g in kept for g in gens) else None

    monkeypatch.setattr(cache, "notes", notes)
    return kept


def note(taken: list, freed: bool = False) -> dict:
    return {"taken": taken, "freed": freed}


def test_stand_in_is_the_old_list_without_what_was_taken_as_fresh_as_it_was(noted):
    noted[3] = note([[ANNA, T0 + 3600, T0 + 7200]])
    noted[4] = note([[BEN, T0, T0 + 3600]])  # another member's booking: nothing of Anna's list
    old = entry([slot(0), slot(60)], cache.Gen(1, 2))
    new = holds.stand_in(old, cache.Gen(1, 4), 101, "2026-12-01", ANNA)
    assert json.loads(new.body)["data"] == [slot(0)]
    assert new.gen == cache.Gen(1, 4)
    # Only time taken: it ages with the list it came from, fresh while that would have been.
    assert (new.fetched_at, new.fresh_until, new.expires_at) == (
        old.fetched_at,
        old.fresh_until,
        old.expires_at,
    )


@pytest.mark.parametrize(
    "freeing",
    [note([], freed=True), note([[ANNA, T0 + 7200, T0 + 9000]], freed=True), []],
    ids=["cancel", "move", "a cancel noted before `freed`"],
)
def test_stand_in_after_time_was_freed_is_never_fresh(noted, freeing):
    """The freed time is not in the old list: it comes back only with a refresh, so never a hit."""
    noted[3] = note([[ANNA, T0 + 3600, T0 + 7200]])
    noted[4] = freeing
    old = entry([slot(0), slot(60)], cache.Gen(1, 2))
    new = holds.stand_in(old, cache.Gen(1, 4), 101, "2026-12-01", ANNA)
    assert json.loads(new.body)["data"] == [slot(0)]
    assert new.gen == cache.Gen(1, 4) and new.fresh_until == new.fetched_at == old.fetched_at


@pytest.mark.parametrize(
    ("since", "now"),
    [
        (cache.Gen(1, 2), cache.Gen(2, 3)),  # the location's own generation moved (a reschedule)
        (cache.Gen(1, 2), cache.Gen(1, 2)),  # nothing behind
        (cache.Gen(1, 2), cache.Gen(1, 2 + holds.MAX_BEHIND + 1)),  # too far behind
        (cache.Gen(1, 2), cache.Gen(1, 5)),  # generation 5 has no note
    ],
)
def test_stand_in_is_none_when_what_was_taken_is_not_known(noted, since, now):
    noted.update({3: [], 4: []})
    assert holds.stand_in(entry([slot(0)], since), now, 101, "2026-12-01", 0) is None


def test_a_list_read_while_a_booking_is_in_flight_is_served_without_its_times():
    times = [slot(0), slot(60), slot(120)]
    held = entry(times, cache.Gen())
    held.in_flight = (json.dumps([(ANNA, T0 + 3600, T0 + 3601)]),)
    patched = holds.in_flight(held, ANNA)
    assert json.loads(patched.body)["data"] == [times[0], times[2]] and patched.in_flight == ()
    assert patched.fresh_until == held.fresh_until  # still as fresh: only the held time is gone
    assert json.loads(holds.in_flight(held, BEN).body)["data"] == times  # another member's list
    assert json.loads(holds.in_flight(held, 0).body)["data"] == [times[0], times[2]]  # "any"
    held.in_flight = ("not json",)
    assert holds.in_flight(held, ANNA) is None  # cannot be patched: ask Altegio


def test_a_booking_is_held_with_the_listed_lengths_or_from_its_start(ddb, clock):
    from booking_gateway import cache as c

    appointments = [
        {"staff_id": ANNA, "datetime": slot(0)["datetime"]},
        {"staff_id": 0, "datetime": slot(120)["datetime"]},
    ]
    token = holds.hold(101, frozenset({"2026-12-01"}), appointments, [(ANNA, T0, T0 + 4500), None])
    c.write("k", json.dumps({"data": []}), clock.now(), 30, 900, c.Gen())
    got = c.read("k", 101, "2026-12-01")[0].in_flight
    assert [json.loads(p) for p in got] == [[[ANNA, T0, T0 + 4500], [0, T0 + 7200, T0 + 7201]]]
    holds.release(101, frozenset({"2026-12-01"}), token)
    assert c.read("k", 101, "2026-12-01")[0].in_flight == ()
