"""book_check answers are kept for a few seconds and shared, until a booking on their day (check_cache.py):
the page's repeated checks of one slot cost Altegio one call, and a kept answer never outlives a change."""

import urllib.parse
from datetime import datetime, timedelta

import pytest
from wr_kit import NEW_YORK, appointment, bookable_member, booking, day

from sandbox import FaultRule


def _check(gw, *appointments):
    return gw.http("POST", f"/book_check/{NEW_YORK}", body={"appointments": list(appointments)})


def _upstream_checks(gw) -> int:
    return len(gw.bookings("/book_check"))


@pytest.fixture
def slot(gw):
    when = day(gw, NEW_YORK, 1)
    member, free = bookable_member(gw, NEW_YORK, when)
    return member, free


def test_the_same_check_is_asked_once(gw, slot):
    member, free = slot
    first = _check(gw, appointment(member, free[0], 20011))
    second = _check(gw, appointment(member, free[0], 20011))
    assert (first.status, first.headers.get("x-cache")) == (201, "miss")
    assert (second.status, second.headers.get("x-cache")) == (201, "hit")
    assert second.json == first.json
    assert _upstream_checks(gw) == 1
    assert "no-store" in second.headers.get("cache-control", "")
    other = _check(gw, appointment(member, free[1], 20011))  # another slot is another question
    assert (other.status, other.headers.get("x-cache")) == (201, "miss")
    assert _upstream_checks(gw) == 2


def test_a_booking_that_day_makes_the_kept_answer_unusable(gw, slot):
    member, free = slot
    assert _check(gw, appointment(member, free[0], 20011)).status == 201
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, free[0])).status == 201
    after = _check(gw, appointment(member, free[0], 20011))
    assert (after.status, after.headers.get("x-cache")) == (422, "miss")
    assert 433 in after.codes
    again = _check(gw, appointment(member, free[0], 20011))  # a refusal is not kept
    assert (again.status, again.headers.get("x-cache"), again.codes) == (422, "miss", after.codes)
    assert _upstream_checks(gw) == 3


def test_a_booking_on_another_day_leaves_it_alone(gw, slot):
    member, free = slot
    later = day(gw, NEW_YORK, 2)
    other_member, other_free = bookable_member(gw, NEW_YORK, later)
    assert _check(gw, appointment(member, free[0], 20011)).status == 201
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, other_member, other_free[0]))
    assert made.status == 201
    assert _check(gw, appointment(member, free[0], 20011)).headers.get("x-cache") == "hit"


def test_a_kept_answer_lapses(gw, clock, slot, monkeypatch):
    from booking_gateway import check_cache

    monkeypatch.setattr(check_cache, "FRESH", 1)
    member, free = slot
    assert _check(gw, appointment(member, free[0], 20011)).headers.get("x-cache") == "miss"
    clock.advance(1.2)
    assert _check(gw, appointment(member, free[0], 20011)).headers.get("x-cache") == "miss"
    assert _upstream_checks(gw) == 2


def test_failures_are_not_kept(gw, slot):
    member, free = slot
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_check", methods=["POST"], status=503)])
    failed = _check(gw, appointment(member, free[0], 20011))
    assert failed.status == 502 and failed.message
    gw.sandbox.configure(faults=[])
    healed = _check(gw, appointment(member, free[0], 20011))
    assert (healed.status, healed.headers.get("x-cache")) == (201, "miss")


def test_appointments_on_two_days_always_go_to_altegio(gw, slot):
    member, free = slot
    later = day(gw, NEW_YORK, 2)
    other_member, other_free = bookable_member(gw, NEW_YORK, later)
    pair = (appointment(member, free[0], 20011, 1), appointment(other_member, other_free[0], 20011, 2))
    for _ in range(2):
        reply = _check(gw, *pair)
        assert reply.status == 201 and reply.headers.get("x-cache") is None
    assert _upstream_checks(gw) == 2


def _overlapping(times: list[str]) -> tuple[str, str] | None:
    """Two listed times of one member less than the one-hour service apart, so booking the second takes
    the first: not always the first two (an appointment may sit between them, as on 2028-03-01)."""
    for x, y in zip(times, times[1:], strict=False):
        if datetime.fromisoformat(y) - datetime.fromisoformat(x) < timedelta(hours=1):
            return x, y
    return None


def _two_members_free(gw):
    """A day when two team members of New York each have free times, and those times (from Altegio)."""
    staff = sorted(m.id for m in gw.sandbox.state.world.staff.values() if m.location_id == NEW_YORK)
    for n in range(1, 8):
        when = day(gw, NEW_YORK, n).isoformat()
        free = {}
        for m in staff:
            reply = gw.upstream("GET", f"/book_times/{NEW_YORK}/{m}/{when}?service_ids[]=20011")
            if reply.status == 200 and len(reply.data) >= 4:
                free[m] = [s["datetime"] for s in reply.data]
        if len(free) >= 2 and _overlapping(next(iter(free.values()))):
            (a, a_free), (b, b_free) = list(free.items())[:2]
            return when, a, a_free, b, b_free
    raise AssertionError("no day with two free team members")


def test_a_booking_elsewhere_that_day_leaves_a_kept_yes_standing(gw, monkeypatch):
    """The gateway noted what the booking took (holds.py): it overlaps nothing checked, so the kept yes
    still stands; a booking at the checked time does not leave it standing."""
    from booking_gateway import holds

    monkeypatch.setattr(holds, "vouched", lambda *_: False)  # the kept answer alone, not the lists
    when, a, a_free, b, b_free = _two_members_free(gw)
    assert (
        gw.http("GET", f"/book_times/{NEW_YORK}/{a}/{when}?service_ids[]=20011").status == 200
    )  # the page's list
    checked, overlapping = _overlapping(a_free)
    assert _check(gw, appointment(a, checked, 20011)).headers.get("x-cache") == "miss"
    far = b_free[-1]  # the other member's last time
    assert gw.http("GET", f"/book_times/{NEW_YORK}/{b}/{when}?service_ids[]=20011").status == 200
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, b, far)).status == 201
    kept = _check(gw, appointment(a, checked, 20011))
    assert (kept.status, kept.headers.get("x-cache")) == (201, "hit")
    # a's next time overlaps the checked hour (a 30-minute grid, a one-hour service)
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, a, overlapping, 2))
    assert made.status == 201
    again = _check(gw, appointment(a, checked, 20011))
    assert (again.status, again.headers.get("x-cache")) == (422, "miss") and 433 in again.codes


CREATED = {"success": True, "data": None, "meta": {"message": "Created"}}


def test_a_fresh_list_answers_for_the_times_it_offers(gw, slot):
    """The page checks a time it has just been shown: the list it came from answers, as Altegio would."""
    member, _ = slot
    when = day(gw, NEW_YORK, 1).isoformat()
    shown = gw.http("GET", f"/book_times/{NEW_YORK}/{member}/{when}?service_ids[]=20011").data
    reply = _check(gw, appointment(member, shown[0]["datetime"], 20011))
    assert (reply.status, reply.headers.get("x-cache"), reply.json) == (201, "hit", CREATED)
    assert gw.upstream("POST", f"/book_check/{NEW_YORK}", body={"appointments": [
        appointment(member, shown[0]["datetime"], 20011)]}).json == CREATED  # fmt: skip
    assert _upstream_checks(gw) == 1  # only the line above
    other_service = _check(gw, appointment(member, shown[0]["datetime"], 20012))  # not that list's services
    assert other_service.headers.get("x-cache") == "miss"
    any_member = _check(gw, appointment(0, shown[0]["datetime"], 20011))  # not that list's team member
    assert any_member.headers.get("x-cache") == "miss"


def test_a_list_never_answers_for_a_time_it_lacks(gw, slot):
    member, free = slot
    when = day(gw, NEW_YORK, 1).isoformat()
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, free[0])).status == 201
    listed = gw.http("GET", f"/book_times/{NEW_YORK}/{member}/{when}?service_ids[]=20011").data
    shown = [s["datetime"] for s in listed]
    assert free[0] not in shown
    reply = _check(gw, appointment(member, free[0], 20011))
    assert (reply.status, reply.headers.get("x-cache")) == (422, "miss") and 433 in reply.codes


def test_an_old_list_or_a_booking_over_its_time_does_not_answer(gw, clock, monkeypatch):
    from booking_gateway import check_cache

    when, member, _, _, _ = _two_members_free(gw)
    path = f"/book_times/{NEW_YORK}/{member}/{when}?service_ids[]=20011"
    shown = [s["datetime"] for s in gw.http("GET", path).data]
    checked, overlapping = _overlapping(shown)
    monkeypatch.setattr(check_cache, "FRESH", 1)
    clock.advance(1.2)
    aged = _check(gw, appointment(member, checked, 20011))
    assert (aged.status, aged.headers.get("x-cache")) == (201, "miss")  # Altegio asked
    monkeypatch.setattr(check_cache, "FRESH", 20)  # the list is young enough again; a booking overlaps
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, overlapping))
    assert made.status == 201
    overlapped = _check(gw, appointment(member, checked, 20011))
    assert overlapped.headers.get("x-cache") == "miss"


def test_any_team_member_named_from_those_free_at_the_time(gw):
    """The page names a team member for "any" from book_staff at the chosen time; that list answers for
    the members it calls bookable, and the times list for "any" for team member 0."""
    when = day(gw, NEW_YORK, 1).isoformat()
    shown = gw.http("GET", f"/book_times/{NEW_YORK}/0/{when}?service_ids[]=20011").data
    at = shown[0]["datetime"]
    query = urllib.parse.urlencode({"service_ids[]": 20011, "datetime": at})
    free = gw.http("GET", f"/book_staff/{NEW_YORK}?{query}").data
    named = [m["id"] for m in free if m.get("bookable")]
    busy = [m["id"] for m in free if not m.get("bookable")]
    assert named, free
    for member in (0, named[0]):
        reply = _check(gw, appointment(member, at, 20011))
        assert (reply.status, reply.headers.get("x-cache")) == (201, "hit"), member
    assert _upstream_checks(gw) == 0
    if busy:
        reply = _check(gw, appointment(busy[0], at, 20011))
        assert reply.headers.get("x-cache") == "miss"
