"""The visitor's whole flow through the local stack: code → check → record → view → reschedule (user
token from user/auth) → cancel, and book_times showing the affected slots right after every step."""

import pytest
from wr_kit import RIGA, SMS_CODE, appointment, bookable_member, client, day, new_key, times


@pytest.mark.parametrize("auth_form", ["User {t}", "Bearer any-partner-token, User {t}"])
def test_visitor_flow_keeps_book_times_exact(gw, auth_form):
    loc, when = RIGA, day(gw, RIGA, 1)
    member, free = bookable_member(gw, loc, when)
    first, moved_to = free[0], free[-1]
    who = client(7, loc)

    # The calendar is read (and cached) before anything happens.
    assert first in times(gw, loc, member, when)
    cached = gw.http("GET", f"/book_times/{loc}/{member}/{when.isoformat()}?service_ids[]=10011")
    assert cached.headers.get("x-cache") == "hit"

    code = gw.http("POST", f"/book_code/{loc}", body={"phone": who["phone"], "fullname": who["fullname"]})
    assert code.status == 201, code.body
    check = gw.http("POST", f"/book_check/{loc}", body={"appointments": [appointment(member, first, 10011)]})
    assert check.status == 201, check.body

    record = gw.http(
        "POST",
        f"/book_record/{loc}",
        body={**who, "code": SMS_CODE, "appointments": [appointment(member, first, 10011)]},
        headers={"Idempotency-Key": new_key()},
    )
    assert record.status == 201, record.body
    assert record.headers["cache-control"].startswith("no-store")
    record_id, record_hash = record.data[0]["record_id"], record.data[0]["record_hash"]
    assert first not in times(gw, loc, member, when)  # immediately: no stale window

    view = gw.http("GET", f"/book_record/{loc}/{record_id}/{record_hash}")
    assert view.status == 200, view.body
    assert view.data["id"] == record_id and not view.data["deleted"]

    auth = gw.http("POST", "/user/auth", body={"phone": who["phone"], "code": SMS_CODE})
    assert auth.status == 201, auth.body
    token = auth.data["user_token"]
    user = {"Authorization": auth_form.format(t=token)}

    mine = gw.http("GET", f"/user/records/{record_id}/{record_hash}", headers=user)
    assert mine.status == 201 and [r["id"] for r in mine.data] == [record_id]

    moved = gw.http("PUT", f"/book_record/{loc}/{record_id}", body={"datetime": moved_to}, headers=user)
    assert moved.status == 200, moved.body
    now_free = times(gw, loc, member, when)
    assert first in now_free and moved_to not in now_free

    cancel = gw.http("DELETE", f"/user/records/{record_id}/{record_hash}", headers=user)
    assert cancel.status == 200, cancel.body
    assert moved_to in times(gw, loc, member, when)
    gone = gw.http("GET", f"/book_record/{loc}/{record_id}/{record_hash}")
    assert gone.status == 200 and gone.data["deleted"] is True


def test_reschedule_needs_a_user_token(gw):
    reply = gw.http("PUT", f"/book_record/{RIGA}/3000001", body={"datetime": "2026-09-21T10:00:00+03:00"})
    assert reply.status == 401 and reply.json["success"] is False
    assert gw.bookings() == []  # refused before any upstream call


def test_guest_cancel_right_after_booking(gw, clock):
    loc, when = 202, day(gw, 202, 1)
    member, free = bookable_member(gw, loc, when)
    assert free[0] in times(gw, loc, member, when)
    made = gw.http(
        "POST",
        f"/book_record/{loc}",
        body={**client(3), "appointments": [appointment(member, free[0], 20011)]},
    )
    assert made.status == 201, made.body
    assert free[0] not in times(gw, loc, member, when)
    rec = made.data[0]
    cancel = gw.http("DELETE", f"/user/records/{rec['record_id']}/{rec['record_hash']}")
    assert cancel.status == 200, cancel.body
    # The cancel freed time: the list from before is only a stand-in, asked again with the budget's lowest
    # priority. The next budget second on the layer's clock: the misses, the booking, its look-up and the
    # cancel in one second leave refreshes none (the list after the booking is a patched hit now, so they
    # all fit in one second), and the stand-in would be served without the freed time.
    clock.advance(1.1)
    assert free[0] in times(gw, loc, member, when)
