"""book_check answers are kept for a few seconds and shared, until a booking on their day (check_cache.py):
the page's repeated checks of one slot cost Altegio one call, and a kept answer never outlives a change."""

import time
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


def test_a_kept_answer_lapses(gw, slot, monkeypatch):
    from booking_gateway import check_cache

    monkeypatch.setattr(check_cache, "FRESH", 1)
    member, free = slot
    assert _check(gw, appointment(member, free[0], 20011)).headers.get("x-cache") == "miss"
    time.sleep(1.2)
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
        if len(free) >= 2:
            (a, a_free), (b, b_free) = list(free.items())[:2]
            return when, a, a_free, b, b_free
    raise AssertionError("no day with two free team members")


def test_a_booking_elsewhere_that_day_leaves_a_kept_yes_standing(gw):
    """The gateway noted what the booking took (holds.py): it overlaps nothing checked, so the kept yes
    still stands; a booking at the checked time does not leave it standing."""
    when, a, a_free, b, b_free = _two_members_free(gw)
    assert (
        gw.http("GET", f"/book_times/{NEW_YORK}/{a}/{when}?service_ids[]=20011").status == 200
    )  # the page's list
    assert _check(gw, appointment(a, a_free[0], 20011)).headers.get("x-cache") == "miss"
    far = b_free[-1]  # the other member's last time: hours after the checked one
    assert gw.http("GET", f"/book_times/{NEW_YORK}/{b}/{when}?service_ids[]=20011").status == 200
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, b, far)).status == 201
    kept = _check(gw, appointment(a, a_free[0], 20011))
    assert (kept.status, kept.headers.get("x-cache")) == (201, "hit")
    # a's own next time overlaps the checked hour (a 30-minute grid, a one-hour service)
    assert datetime.fromisoformat(a_free[1]) - datetime.fromisoformat(a_free[0]) < timedelta(hours=1)
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, a, a_free[1], 2)).status == 201
    again = _check(gw, appointment(a, a_free[0], 20011))
    assert (again.status, again.headers.get("x-cache")) == (422, "miss") and 433 in again.codes
