"""After the gateway's own booking, a list of times from before it stands in without what it took (holds.py):
served when Altegio fails or the budget is spent, never with the booked time, and only when the booking
was read back and noted. While a booking is in flight, lists of its day are served without its times."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from wr_kit import NEW_YORK, bookable_member, booking, day

from sandbox import FaultRule

SERVICE = 20011
# The budget's per-second window, moved on the layer's clock (`clock`, pinned before `booked`): a refresh
# (lowest priority) waits at most a second for it.
SECOND = 1.1
FRESH = 31.0  # a list of times is fresh for 30 s (operations.py)


def _list(gw, member: int, when: str):
    return gw.http("GET", f"/book_times/{NEW_YORK}/{member}/{when}?service_ids[]={SERVICE}")


def _days(gw) -> list[str]:
    return [day(gw, NEW_YORK, n).isoformat() for n in range(1, 8)]


def _free_members(gw, when: str) -> list[int]:
    """Team members of New York with at least two free times for SERVICE that day (straight from Altegio)."""
    out = []
    for m in sorted(s.id for s in gw.sandbox.state.world.staff.values() if s.location_id == NEW_YORK):
        if SERVICE in gw.sandbox.state.world.staff[m].service_ids:
            reply = gw.upstream("GET", f"/book_times/{NEW_YORK}/{m}/{when}?service_ids[]={SERVICE}")
            if reply.status == 200 and len(reply.data) >= 2:
                out.append(m)
    return out


@pytest.fixture
def booked(gw):
    """Lists of one day cached (the member's, "any", another member's), then one of the member's times
    booked through the gateway: (member, other member, day, booked slot, the lists before, the record)."""
    when, free = next((w, f) for w in _days(gw) if len(f := _free_members(gw, w)) >= 2)
    member, other = free[:2]
    before = {m: _list(gw, m, when).data for m in (member, 0, other)}
    slot = before[member][0]
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, slot["datetime"]))
    assert made.status == 201, made.body
    return member, other, when, slot, before, made.data[0]


def _clashing(slot: dict, taken: dict) -> bool:
    """Does `slot` overlap the booking of `taken` (its listed length plus the technical-break padding)?"""
    from booking_gateway.holds import PADDING

    start = datetime.fromisoformat(slot["datetime"])
    end = start + timedelta(seconds=slot["sum_length"])
    t0 = datetime.fromisoformat(taken["datetime"])
    return start < t0 + timedelta(seconds=taken["sum_length"] + PADDING) and t0 < end


def test_altegio_failing_after_a_booking_serves_the_lists_without_the_booked_time(gw, clock, booked):
    member, other, when, slot, before, _ = booked
    clock.advance(FRESH)  # aged: no longer a hit, so Altegio is asked, and fails
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_times", methods=["GET"], status=503)])
    for m in (member, 0):
        reply = _list(gw, m, when)
        assert (reply.status, reply.headers.get("x-cache")) == (200, "stale"), reply.body
        shown = reply.data
        assert slot["datetime"] not in [s["datetime"] for s in shown]
        # exactly the old list minus the times that overlap the booking
        assert shown == [s for s in before[m] if not _clashing(s, slot)]
        assert len(shown) >= 1
    untouched = _list(gw, other, when)  # another member's times: the booking took none of them
    assert (untouched.status, untouched.data) == (200, before[other])


def test_the_budget_spent_after_a_booking_serves_the_patched_list(gw, clock, booked, monkeypatch):
    from booking_gateway import altegio_client
    from booking_gateway.budget import BudgetExhausted

    def spent(priority, wait):
        raise BudgetExhausted(5)

    member, _, when, slot, before, _ = booked
    clock.advance(FRESH)
    calls = len(gw.sandbox.requests())
    monkeypatch.setattr(altegio_client, "_take_turn", spent)
    reply = _list(gw, member, when)
    assert (reply.status, reply.headers.get("x-cache")) == (200, "stale"), reply.body
    assert reply.data == [s for s in before[member] if not _clashing(s, slot)]
    assert len(gw.sandbox.requests()) == calls


def test_a_fresh_list_from_before_is_served_patched_without_asking_altegio_until_it_ages(gw, clock, booked):
    member, _, when, slot, before, _ = booked
    clock.advance(SECOND)  # budget to spare: still nothing is asked
    calls = len(gw.sandbox.requests())
    for m in (member, 0):
        reply = _list(gw, m, when)
        assert (reply.status, reply.headers.get("x-cache")) == (200, "hit"), reply.body
        assert reply.data == [s for s in before[m] if not _clashing(s, slot)]
    assert len(gw.sandbox.requests()) == calls
    clock.advance(FRESH)  # the list it was patched from has aged: asked again
    reply = _list(gw, member, when)
    assert (reply.status, reply.headers.get("x-cache")) == (200, "miss")
    assert slot["datetime"] not in [s["datetime"] for s in reply.data]


def _nearest_with_more(gw) -> tuple[str, int]:
    """(path, member) of nearest times whose day keeps a time after its first is booked: when the
    booking takes the day's last times (late in a day), the nearest day becomes another one that no cached
    list shows, and the gateway rightly answers 502 instead of a stand-in."""
    for member in sorted(s.id for s in gw.sandbox.state.world.staff.values() if s.location_id == NEW_YORK):
        if SERVICE not in gw.sandbox.state.world.staff[member].service_ids:
            continue
        path = f"/book_staff_seances/{NEW_YORK}/{member}?service_ids[]={SERVICE}"
        listed = gw.upstream("GET", path)
        seances = listed.data["seances"] if listed.status == 200 and listed.data else []
        if seances and any(not _clashing(s, seances[0]) for s in seances):
            return path, member
    raise AssertionError("no New York member has two apart nearest times")


def test_nearest_times_stand_in_without_the_booked_one(gw, clock):
    path, member = _nearest_with_more(gw)
    before = gw.http("GET", path).data
    first = before["seances"][0]
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, first["datetime"]))
    assert made.status == 201, made.body
    fresh = gw.http("GET", path)  # still fresh: patched, a hit
    assert (fresh.headers.get("x-cache"), fresh.data["seances"]) == (
        "hit",
        [s for s in before["seances"] if not _clashing(s, first)],
    )
    clock.advance(FRESH)
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_staff_seances", methods=["GET"], status=503)])
    reply = gw.http("GET", path)
    assert (reply.status, reply.headers.get("x-cache")) == (200, "stale"), reply.body
    assert reply.data["seance_date"] == before["seance_date"]
    assert reply.data["seances"] == [s for s in before["seances"] if not _clashing(s, first)]


def test_with_no_list_to_go_by_the_record_is_read_back(gw, clock, monkeypatch):
    """No cached list offered the booked time: the interval comes from Altegio's record (team member and
    length), one upstream look-up, and the lists from before stand in as usual."""
    from booking_gateway import holds

    monkeypatch.setattr(holds, "_listed", lambda location_id, appointment: None)
    when = day(gw, NEW_YORK, 1)
    member, free = bookable_member(gw, NEW_YORK, when)
    before = _list(gw, member, when.isoformat()).data
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, free[0]))
    assert made.status == 201, made.body
    looked_up = [r for r in gw.sandbox.requests() if r["method"] == "GET" and "/book_record/" in r["path"]]
    assert len(looked_up) == 1
    clock.advance(FRESH)
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_times", methods=["GET"], status=503)])
    reply = _list(gw, member, when.isoformat())
    assert (reply.status, reply.headers.get("x-cache")) == (200, "stale"), reply.body
    booked = next(s for s in before if s["datetime"] == free[0])
    record_length = {**booked, "sum_length": booked["sum_length"] - holds.PADDING}  # the record's, no padding
    assert reply.data == [s for s in before if not _clashing(s, record_length)]


def test_without_a_note_a_list_from_before_is_not_served(gw, monkeypatch):
    """No list to go by and the record could not be read back (Altegio refused the look-up): nothing is
    known about what the booking took, so the old list is not served for want of budget."""
    from booking_gateway import altegio_client, holds
    from booking_gateway.budget import BudgetExhausted

    monkeypatch.setattr(holds, "_listed", lambda location_id, appointment: None)
    when = day(gw, NEW_YORK, 1)
    member, free = bookable_member(gw, NEW_YORK, when)
    assert _list(gw, member, when.isoformat()).status == 200
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_record/", methods=["GET"], status=500)])
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, free[0]))
    assert made.status == 201, made.body

    def spent(priority, wait):
        raise BudgetExhausted(5)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(altegio_client, "_take_turn", spent)
        reply = _list(gw, member, when.isoformat())
    assert reply.status == 503 and reply.headers.get("retry-after"), reply.body


def test_a_cancel_notes_that_nothing_was_taken(gw, clock, booked):
    """A list fetched after the booking and before the cancel: after the cancel it stands in as it was (the
    freed time comes back with the next refresh)."""
    member, _, when, _, _, record = booked
    clock.advance(FRESH)
    fresh = _list(gw, member, when)
    assert fresh.headers.get("x-cache") == "miss"
    after_booking = fresh.data
    rid, rhash = record["record_id"], record["record_hash"]
    assert gw.http("DELETE", f"/user/records/{rid}/{rhash}").status == 200
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_times", methods=["GET"], status=503)])
    reply = _list(gw, member, when)
    assert (reply.status, reply.headers.get("x-cache"), reply.data) == (200, "stale", after_booking)


@pytest.fixture
def in_flight(gw, monkeypatch):
    """Bookings are held at Altegio's answer: `made` is set once Altegio has made one, and its answer
    reaches the gateway only when `go` is set."""
    from booking_gateway import altegio_client

    made, go, real_call = threading.Event(), threading.Event(), altegio_client.call

    def call(method, path, **kw):
        answer = real_call(method, path, **kw)
        if method == "POST" and path.startswith("/book_record/"):
            made.set()
            assert go.wait(30)
        return answer

    monkeypatch.setattr(altegio_client, "call", call)
    yield made, go
    go.set()


@contextlib.contextmanager
def _answered_in_the_end(go: threading.Event):
    """Let the held answer through however the block ends (a failed check must not leave it hanging)."""
    try:
        yield
    finally:
        go.set()


def test_a_booking_made_at_altegio_is_not_offered_before_its_answer_arrives(gw, in_flight):
    made, go = in_flight
    when = day(gw, NEW_YORK, 1)
    member, free = bookable_member(gw, NEW_YORK, when)
    assert _list(gw, member, when.isoformat()).headers.get("x-cache") == "miss"
    assert free[0] in [s["datetime"] for s in _list(gw, 0, when.isoformat()).data]
    with ThreadPoolExecutor(1) as pool, _answered_in_the_end(go):
        booking_sent = pool.submit(
            gw.http, "POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, free[0])
        )
        assert made.wait(30)
        for m in (member, 0):  # still fresh in the cache, and the booking not yet noted: served without it
            reply = _list(gw, m, when.isoformat())
            assert (reply.status, reply.headers.get("x-cache")) == (200, "hit"), reply.body
            assert free[0] not in [s["datetime"] for s in reply.data]
        go.set()
        assert booking_sent.result().status == 201
    assert free[0] not in [s["datetime"] for s in _list(gw, member, when.isoformat()).data]


def test_a_booking_altegio_refused_gives_its_time_back_at_once(gw, in_flight):
    made, go = in_flight
    when = day(gw, NEW_YORK, 1)
    member, free = bookable_member(gw, NEW_YORK, when)
    assert free[0] in [s["datetime"] for s in _list(gw, member, when.isoformat()).data]
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_record/", methods=["POST"], status=422)])
    with ThreadPoolExecutor(1) as pool, _answered_in_the_end(go):
        booking_sent = pool.submit(
            gw.http, "POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, free[0])
        )
        assert made.wait(30)
        assert free[0] not in [s["datetime"] for s in _list(gw, member, when.isoformat()).data]
        go.set()
        assert booking_sent.result().status == 422
    reply = _list(gw, member, when.isoformat())  # nothing changed at Altegio: the same fresh list
    assert reply.headers.get("x-cache") == "hit" and free[0] in [s["datetime"] for s in reply.data]
