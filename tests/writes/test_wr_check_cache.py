"""book_check answers are kept for a few seconds and shared, until a booking on their day (check_cache.py):
the page's repeated checks of one slot cost Altegio one call, and a kept answer never outlives a change."""

import time

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
