"""Successful (or possibly successful) availability changes bump a generation before the answer; failures
do not. A booking or cancel whose day is known bumps that day's (and the hints'); a reschedule, whose old
day is unknown, the whole location's."""

import pytest
from wr_kit import (
    DEMO_RECORD,
    DEMO_RECORD_SERVICE,
    DEMO_RECORD_STAFF,
    NEW_YORK,
    RIGA,
    appointment,
    bookable_member,
    client,
    day,
    free_times_of,
)

from sandbox import FaultRule


@pytest.fixture
def bumps(monkeypatch):
    from booking_gateway import cache

    seen: list = []
    real = cache.bump_generation

    def spy(location_id, days=()):
        days = tuple(sorted(days))
        seen.append((location_id, days) if days else location_id)
        return real(location_id, days)

    monkeypatch.setattr(cache, "bump_generation", spy)
    return seen


def _user(gw):
    token = gw.http("POST", "/booking/auth", body={"login": "demo", "password": "sandbox-pass"}).data[
        "user_token"
    ]
    return {"Authorization": f"User {token}"}


def test_book_record_bumps_its_day_only_on_success(gw, bumps):
    when = day(gw, NEW_YORK, 1)
    member, free = bookable_member(gw, NEW_YORK, when)
    body = {**client(1), "appointments": [appointment(member, free[0], 20011)]}
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=body).status == 201
    assert bumps == [(NEW_YORK, (when.isoformat(),))]
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=body).status == 422  # taken: nothing changed
    assert len(bumps) == 1


def test_a_booking_expires_its_day_and_the_hints_not_other_days(gw, clock):
    """After a booking on day 1: day 1's times are served patched without the booked slot (a hit: what
    the booking took is noted), the location's dates are derived from them (day 1 stays while it has times
    left; hints_patch.py), day 2's times are still a cache hit (nothing there changed): nothing is asked."""
    d1, d2 = day(gw, NEW_YORK, 1), day(gw, NEW_YORK, 2)
    member, free = bookable_member(gw, NEW_YORK, d1)
    reads = {
        "dates": f"/book_dates/{NEW_YORK}?service_ids[]=20011&staff_id={member}",
        "d1": f"/book_times/{NEW_YORK}/{member}/{d1.isoformat()}?service_ids[]=20011",
        "d2": f"/book_times/{NEW_YORK}/{member}/{d2.isoformat()}?service_ids[]=20011",
    }
    for path in reads.values():
        assert gw.http("GET", path).status == 200
        assert gw.http("GET", path).headers.get("x-cache") == "hit", path
    body = {**client(3), "appointments": [appointment(member, free[0], 20011)]}
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=body).status == 201
    clock.advance(1.1)  # the next budget second on the layer's clock: a refresh could go out
    asked = len(gw.sandbox.requests())
    after = {name: gw.http("GET", path) for name, path in reads.items()}
    assert {name: reply.headers.get("x-cache") for name, reply in after.items()} == dict.fromkeys(
        reads, "hit"
    )
    assert free[0] not in [s["datetime"] for s in after["d1"].data]
    assert (d1.isoformat() in after["dates"].data["booking_dates"]) is bool(after["d1"].data)
    assert gw.sandbox.requests()[asked:] == []


def test_check_and_code_never_bump(gw, bumps):
    member, free = bookable_member(gw, NEW_YORK, day(gw, NEW_YORK, 1))
    gw.http("POST", f"/book_check/{NEW_YORK}", body={"appointments": [appointment(member, free[0], 20011)]})
    gw.http("POST", f"/book_code/{RIGA}", body={"phone": "+37120000009"})
    assert bumps == []


def test_reschedule_bumps(gw, bumps):
    free = free_times_of(gw, RIGA, DEMO_RECORD_STAFF, DEMO_RECORD_SERVICE, first=6)
    reply = gw.http(
        "PUT",
        f"/book_record/{RIGA}/{DEMO_RECORD['record_id']}",
        body={"datetime": free[-1]},
        headers=_user(gw),
    )
    assert reply.status == 200, reply.body
    assert bumps == [RIGA]  # the old day is not known: the whole location


def test_activity_booking_bumps(gw, bumps):
    reply = gw.http("POST", f"/activity/{NEW_YORK}/7201/book", body={**client(2), "clients_count": 1})
    assert reply.status == 200, reply.body
    assert bumps == [NEW_YORK]  # an event's day is not in the request: the whole location


def test_cancel_finds_the_location_and_day_first(gw, bumps):
    rec = DEMO_RECORD
    when = next(a["datetime"] for a in gw.sandbox.appointments() if a["record_id"] == rec["record_id"])
    reply = gw.http("DELETE", f"/user/records/{rec['record_id']}/{rec['record_hash']}")
    assert reply.status == 200, reply.body
    assert bumps == [(RIGA, (str(when)[:10],))]
    assert [r["method"] for r in gw.sandbox.requests() if "/user/records" in r["path"]] == ["GET", "DELETE"]


def test_cancel_with_unknown_location_bumps_every_allowed_location(gw, bumps):
    gw.sandbox.configure(faults=[FaultRule("error", path="/user/records", methods=["GET"], status=500)])
    rec = DEMO_RECORD
    reply = gw.http("DELETE", f"/user/records/{rec['record_id']}/{rec['record_hash']}")
    assert reply.status == 200, reply.body
    assert sorted(bumps) == [RIGA, NEW_YORK]


def test_failed_cancel_does_not_bump(gw, bumps):
    reply = gw.http("DELETE", f"/user/records/{DEMO_RECORD['record_id']}/{'0' * 32}")
    assert reply.status == 404
    assert bumps == []
