"""warmer.py's plan: the days of times it keeps fresh are the location's, not UTC's."""

from __future__ import annotations

import json

import pytest
from booking_gateway import cache, warmer
from booking_gateway.operations import POLICIES
from booking_gateway.reads import ReadKey

NY, RIGA = 202, 101  # the sandbox's locations: America/New_York (-05:00 in December), Europe/Riga (+02:00)
QUERY = (("service_ids[]", "20011"),)


def times_key(loc: int, member: int, day: str) -> ReadKey:
    return ReadKey("book_times", f"/book_times/{loc}/{member}/{day}", QUERY, loc, day, member)


def cache_answer(key: ReadKey, data: list | dict, now: float) -> None:
    ckey = cache.cache_key(key.operation, key.location_id, key.path, list(key.query))
    _, gen = cache.read(ckey, key.location_id, key.day)
    policy = POLICIES[key.operation]
    cache.write(ckey, json.dumps({"success": True, "data": data}), now, policy.fresh, policy.keep, gen)


def planned_days(plan: list[ReadKey], loc: int, member: int) -> list[str]:
    return [
        k.day for k in plan if k.operation == "book_times" and k.location_id == loc and k.member == member
    ]


@pytest.fixture
def hot(ddb, clock):
    # 02:30 UTC on Dec 6 is 21:30 on Dec 5 in New York: its visitors ask for Dec 5 and on.
    clock.pin("2026-12-06T02:30:00Z")
    asked = times_key(NY, 2021, "2026-12-05")
    slot = {"time": "22:00", "seance_length": 3600, "datetime": "2026-12-05T22:00:00-05:00"}
    cache_answer(asked, [slot], clock.now())
    return [(5, asked)]


def test_the_next_days_are_the_locations_own_from_the_offset_its_times_carry(hot, clock):
    assert warmer.utc_offset(NY, hot) is not None and warmer.utc_offset(NY, hot).total_seconds() == -5 * 3600
    assert planned_days(warmer.plan(hot), NY, 2021) == ["2026-12-05", "2026-12-06", "2026-12-07"]
    clock.pin("2026-12-06T05:30:00Z")  # 00:30 in New York: its today is UTC's now
    slot = {"time": "09:00", "seance_length": 3600, "datetime": "2026-12-06T09:00:00-05:00"}
    cache_answer(hot[0][1], [slot], clock.now())  # read again since (the one before has expired)
    # Dec 5, read lately, is past in New York now: not warmed any more.
    assert planned_days(warmer.plan(hot), NY, 2021) == ["2026-12-06", "2026-12-07", "2026-12-08"]


def test_a_location_east_of_utc_is_a_day_ahead_before_utc_midnight(ddb, clock):
    clock.pin("2026-12-06T22:30:00Z")  # 00:30 on Dec 7 in Riga
    asked = times_key(RIGA, 1011, "2026-12-07")
    cache_answer(
        asked, [{"time": "10:00", "seance_length": 3600, "datetime": "2026-12-07T10:00:00+0200"}], clock.now()
    )
    assert planned_days(warmer.plan([(3, asked)]), RIGA, 1011) == ["2026-12-07", "2026-12-08", "2026-12-09"]


def test_until_an_offset_is_known_the_days_cover_every_zones_today(ddb, clock):
    clock.pin("2026-12-06T02:30:00Z")
    asked = times_key(NY, 2021, "2026-12-05")  # read lately, but no answer cached (no offset)
    assert warmer.utc_offset(NY, [(1, asked)]) is None
    days = planned_days(warmer.plan([(1, asked)]), NY, 2021)
    assert days == ["2026-12-05", "2026-12-06", "2026-12-07", "2026-12-08"]


def test_before_any_visitor_it_fills_what_a_new_visitor_asks_first_for_each_listed_service(ddb, clock):
    clock.pin("2026-12-06T12:00:00Z")
    services = ReadKey("book_services", f"/book_services/{NY}", (), NY)
    cache_answer(services, {"services": [{"id": 20011}, {"id": 20021}]}, clock.now())
    riga_read = (2, times_key(RIGA, 1011, "2026-12-07"))  # Riga has visitors: its reads lead there
    first = warmer.first_visits([riga_read])
    assert {k.location_id for k in first} == {NY}
    assert [(k.operation, k.query) for k in first[:3]] == [
        ("book_staff", (("service_ids[]", "20011"),)),
        ("book_staff_seances", (("service_ids[]", "20011"),)),
        (
            "book_dates",
            (
                ("date_from", "2026-12-01"),
                ("date_to", "2027-01-31"),
                ("service_ids[]", "20011"),
                ("staff_id", "0"),
            ),
        ),
    ]
    assert [k.operation for k in first].count("book_times") == 0  # its days are not known yet
    # The very keys read_path stores the page's requests under (its canonical query).
    from booking_gateway.read_params import build_query

    page_asks = build_query([20011], staff_id=0, date_from="2026-12-01", date_to="2027-01-31")
    assert first[2].query == tuple(sorted(set(page_asks)))
    assert first[1].query == tuple(sorted(set(build_query([20011]))))
    days = [f"2026-12-{d:02}" for d in (7, 8, 10, 11, 14, 15)]
    cache_answer(first[2], {"booking_dates": days}, clock.now())
    times = [k for k in warmer.first_visits([riga_read]) if k.operation == "book_times"]
    assert [(k.member, k.day) for k in times] == [(0, d) for d in days[: warmer.FIRST_DAYS]]
    assert times[0].path == f"/book_times/{NY}/0/2026-12-07" and times[0].query == (
        ("service_ids[]", "20011"),
    )


def test_a_first_visit_key_with_a_copy_is_not_asked_again(ddb, clock, monkeypatch):
    from booking_gateway import altegio_client

    clock.pin("2026-12-06T12:00:00Z")
    key = times_key(NY, 0, "2026-12-07")
    cache_answer(key, [], clock.now() - 600)  # long stale, still kept: it stands in while the budget is spent

    def no_call(*_, **__):
        raise AssertionError("a filled key was asked upstream again")

    monkeypatch.setattr(altegio_client, "call", no_call)
    assert warmer.warm(key, fill=True)[0] == "fresh"
    with pytest.raises(AssertionError, match="asked upstream"):
        warmer.warm(key)  # a key read lately is kept fresh instead


def test_a_pass_stops_when_the_run_is_over_and_fills_only_when_asked(ddb, clock, monkeypatch):
    warmed: list[tuple[ReadKey, bool]] = []
    monkeypatch.setattr(warmer, "warm", lambda key, fill=False: warmed.append((key, fill)) or ("fresh", 0.0))
    monkeypatch.setattr(warmer, "first_visits", lambda hot: [times_key(NY, 0, "2026-12-07")])
    done, _ = warmer.one_pass(end=clock.monotonic())  # the run's time is up: nothing more is tried
    assert done == {"unfinished": 1} and warmed == []
    warmer.one_pass(fill=False)
    assert warmed and not any(fill for _, fill in warmed)
    warmed.clear()
    warmer.one_pass()
    assert warmed[-1] == (times_key(NY, 0, "2026-12-07"), True)  # last, and only filled


def test_a_list_patched_without_changes_that_only_took_time_is_fresh_one_that_freed_is_asked(
    ddb, clock, monkeypatch
):
    from booking_gateway import altegio_client, holds

    clock.pin("2026-12-06T12:00:00Z")
    key = times_key(NY, 2021, "2026-12-07")
    slots = [{"datetime": f"2026-12-07T{h}:00:00-05:00", "sum_length": 3600} for h in (10, 12)]
    cache_answer(key, slots, clock.now())
    asked: list[str] = []

    def call(method, path, **_):
        asked.append(path)
        raise AssertionError("asked upstream")

    monkeypatch.setattr(altegio_client, "call", call)
    ten = clock.now() + 27 * 3600  # Dec 7, 10:00 in New York, taken at the front desk (its webhook)
    holds.record(NY, cache.bump(NY, ["2026-12-07"]), [(2021, ten, ten + 3600)])
    state, due = warmer.warm(key)  # served as a hit without 10:00 (read_path): nothing to refresh yet
    assert (state, asked) == ("fresh", []) and due == pytest.approx(clock.now() + 30 - warmer.LEAD)
    holds.record(NY, cache.bump(NY, ["2026-12-07"]), [], freed=True)  # a cancel: time comes back
    with pytest.raises(AssertionError, match="asked upstream"):
        warmer.warm(key)
    assert asked == [key.path]


def test_an_aged_copy_visitors_are_served_is_refreshed_at_their_priority_one_about_to_age_at_the_warmers(
    ddb, clock, monkeypatch
):
    """While a run is under way visitors get an aged copy at once (read_path): its refresh is theirs, so it
    goes at the refresh priority their reads had; one not yet aged waits for budget visitors leave."""
    from booking_gateway import altegio_client

    clock.pin("2026-12-06T12:00:00Z")
    key = times_key(NY, 2021, "2026-12-07")
    priorities: list[str] = []

    def call(method, path, *, priority, **_):
        priorities.append(priority)
        return altegio_client.UpstreamResponse(200, b'{"success": true, "data": []}', {})

    monkeypatch.setattr(altegio_client, "call", call)
    cache_answer(key, [], clock.now())
    clock.advance(30 - warmer.LEAD + 1)  # within LEAD of its freshness's end
    assert warmer.warm(key)[0] == "refreshed" and priorities == ["warm"]
    clock.advance(31)  # past it: visitors are being served it aged
    assert warmer.warm(key)[0] == "refreshed" and priorities == ["warm", "refresh"]


def test_a_refused_refresh_of_an_aged_copy_is_asked_again_in_place_then_the_pass_yields(
    ddb, clock, monkeypatch
):
    clock.pin("2026-12-06T12:00:00Z")
    first, second = times_key(NY, 2021, "2026-12-07"), times_key(NY, 2021, "2026-12-08")
    answers = {first: ["refused", "refused", "refreshed"], second: ["refused"] * 99}
    asked: list[tuple[ReadKey, float]] = []

    def warm(key, fill=False):
        asked.append((key, clock.now()))
        if answers[key].pop(0) == "refused":
            raise warmer._AgedRefused(1)
        return "refreshed", clock.now() + 30

    monkeypatch.setattr(warmer, "plan", lambda hot=None: [first, second])
    monkeypatch.setattr(warmer, "warm", warm)
    started = clock.now()
    done, _ = warmer.one_pass(fill=False)
    assert [k for k, _ in asked[:3]] == [first] * 3  # asked again in place, a visitor's memo apart
    assert [round(at - started, 3) for _, at in asked[:3]] == [0, 1.0, 2.0]
    assert done["refreshed"] == 1 and done["yielded"] == 1  # the second never came: the pass yields
    second_asks = [at for k, at in asked if k == second]
    assert second_asks[-1] - second_asks[0] < warmer.AGED_RETRY_FOR


def test_any_team_members_times_are_planned_after_its_members_and_then_derived_not_asked(
    ddb, clock, monkeypatch
):
    from booking_gateway import altegio_client

    clock.pin("2026-12-06T12:00:00Z")
    anyone = times_key(NY, 0, "2026-12-07")
    staff = ReadKey("book_staff", f"/book_staff/{NY}", QUERY, NY)
    cache_answer(staff, [{"id": 2021}, {"id": 2023}], clock.now())
    cache_answer(anyone, [], clock.now() - 60)  # read lately, aged
    hot = [(9, anyone)]
    planned = [k for k in warmer.plan(hot) if k.operation == "book_times" and k.day == "2026-12-07"]
    assert [k.member for k in planned] == [2021, 2023, 0]  # "any" after its members: derived from them
    asked: list[str] = []

    def call(method, path, **_):
        asked.append(path)
        return altegio_client.UpstreamResponse(200, b'{"success": true, "data": []}', {})

    monkeypatch.setattr(altegio_client, "call", call)
    assert warmer.warm(anyone)[0] == "refreshed"  # the members' lists are not cached: asked
    clock.advance(5)
    assert [warmer.warm(k)[0] for k in planned[:2]] == ["refreshed", "refreshed"]
    asked.clear()
    clock.advance(30 - warmer.LEAD - 4)  # "any"'s own copy is due; the members' fresh 4 s longer
    state, due = warmer.warm(anyone)
    assert (state, asked) == ("derived", []) and due == pytest.approx(clock.now() + 4)
    clock.advance(5)  # the members' lists are due: they are refreshed first, then "any" is derived again
    assert [warmer.warm(k)[0] for k in planned] == ["refreshed", "refreshed", "derived"]
    assert asked == [planned[0].path, planned[1].path]


def test_the_nearest_times_are_derived_from_the_days_of_the_locations_month_and_the_first_days_times(
    ddb, clock, monkeypatch
):
    from booking_gateway import altegio_client, derive

    clock.pin("2026-12-31T23:30:00Z")  # 18:30 on Dec 31 in New York: UTC is in January already
    asked: list[str] = []

    def call(method, path, **_):
        asked.append(path)
        return altegio_client.UpstreamResponse(200, b'{"success": true, "data": {}}', {})

    monkeypatch.setattr(altegio_client, "call", call)
    nearest = ReadKey("book_staff_seances", f"/book_staff_seances/{NY}/2021", QUERY, NY, None, 2021)
    slot = {"time": "10:00", "seance_length": 3600, "datetime": "2027-01-02T10:00:00-05:00"}
    cache_answer(times_key(NY, 2021, "2027-01-02"), [slot], clock.now())

    def days(first: str, last: str, listed: list[str]) -> None:
        span = (("date_from", first), ("date_to", last), ("service_ids[]", "20011"), ("staff_id", "2021"))
        cache_answer(
            ReadKey("book_dates", f"/book_dates/{NY}", span, NY), {"booking_dates": listed}, clock.now()
        )

    # Only January's span is cached: it starts after New York's today, so a day of December could be missing.
    days("2027-01-01", "2027-02-28", ["2027-01-02"])
    assert derive.nearest_times(NY, 2021, [20011]) is None
    assert warmer.warm(nearest)[0] == "refreshed" and asked == [nearest.path]
    # December's span, as the page in New York asks it: its first day from today is Jan 2.
    days("2026-12-01", "2027-01-31", ["2027-01-02", "2027-01-04"])
    found = derive.nearest_times(NY, 2021, [20011])
    assert json.loads(found.body)["data"] == {"seance_date": "2027-01-02", "seances": [slot]}
    assert found.fresh_until == pytest.approx(clock.now() + 30)
    clock.advance(10)  # visitors read the days and the times again
    cache_answer(times_key(NY, 2021, "2027-01-02"), [slot], clock.now())
    days("2026-12-01", "2027-01-31", ["2027-01-02", "2027-01-04"])
    clock.advance(30 - warmer.LEAD - 10 + 1)  # its own copy is due; what it is derived from is not
    assert warmer.warm(nearest) == ("derived", pytest.approx(clock.now() + 10 - 1))
    assert len(asked) == 1  # no call


def test_before_any_visitor_it_fills_each_members_first_answers_too_in_rounds_over_the_services(ddb, clock):
    clock.pin("2026-12-06T12:00:00Z")
    services = ReadKey("book_services", f"/book_services/{NY}", (), NY)
    cache_answer(services, {"services": [{"id": 20011}, {"id": 20021}]}, clock.now())
    massage = (("service_ids[]", "20011"),)
    cache_answer(
        ReadKey("book_staff", f"/book_staff/{NY}", massage, NY), [{"id": 2021}, {"id": 2023}], clock.now()
    )
    days = ["2026-12-07", "2026-12-08", "2026-12-10"]
    span = (("date_from", "2026-12-01"), ("date_to", "2027-01-31"))
    for member in (0, 2021):
        query = tuple(sorted((*span, *massage, ("staff_id", str(member)))))
        cache_answer(
            ReadKey("book_dates", f"/book_dates/{NY}", query, NY), {"booking_dates": days}, clock.now()
        )

    def what(key: ReadKey) -> tuple:
        service = dict(key.query)["service_ids[]"]
        member = key.member if key.member is not None else dict(key.query).get("staff_id")
        return key.operation, service, None if member is None else int(member), key.day

    assert [what(k) for k in warmer.first_visits([])] == [
        # every service's first answers for "any" team member
        ("book_staff", "20011", None, None),
        ("book_staff_seances", "20011", 0, None),
        ("book_dates", "20011", 0, None),
        ("book_staff", "20021", None, None),
        ("book_staff_seances", "20021", 0, None),
        ("book_dates", "20021", 0, None),
        # each listed member's (the facial's are not known yet: a later pass)
        ("book_staff_seances", "20011", 2021, None),
        ("book_dates", "20011", 2021, None),
        ("book_staff_seances", "20011", 2023, None),
        ("book_dates", "20011", 2023, None),
        # the first two bookable days' times, "any" before the members, then the rest of the days
        ("book_times", "20011", 0, "2026-12-07"),
        ("book_times", "20011", 0, "2026-12-08"),
        ("book_times", "20011", 2021, "2026-12-07"),
        ("book_times", "20011", 2021, "2026-12-08"),
        ("book_times", "20011", 0, "2026-12-10"),
        ("book_times", "20011", 2021, "2026-12-10"),
    ]


def test_a_fill_is_asked_even_where_it_could_be_derived_since_a_derivation_ages_with_its_sources(
    ddb, clock, monkeypatch
):
    from booking_gateway import altegio_client

    clock.pin("2026-12-06T12:00:00Z")
    anyone = times_key(NY, 0, "2026-12-07")
    cache_answer(ReadKey("book_staff", f"/book_staff/{NY}", QUERY, NY), [{"id": 2021}], clock.now())
    cache_answer(times_key(NY, 2021, "2026-12-07"), [], clock.now())
    asked: list[str] = []

    def call(method, path, **_):
        asked.append(path)
        return altegio_client.UpstreamResponse(200, b'{"success": true, "data": []}', {})

    monkeypatch.setattr(altegio_client, "call", call)
    assert warmer.warm(anyone)[0] == "derived" and asked == []  # kept fresh for visitors: no call
    assert warmer.warm(anyone, fill=True)[0] == "refreshed" and asked == [anyone.path]
