"""No blind retries: a booking that Altegio answers too late is a 504 that says to look it up first."""

from wr_kit import NEW_YORK, appointment, appointments_made, bookable_member, client, day, new_key, times

from sandbox import FaultRule


def test_slow_upstream_booking_is_504_once_and_invalidates(gw, write_timeout):
    loc, when = NEW_YORK, day(gw, NEW_YORK, 1)
    member, free = bookable_member(gw, loc, when)
    assert free[0] in times(gw, loc, member, when)  # cached before the booking
    # Altegio commits the booking but answers after the gateway has given up.
    gw.sandbox.configure(
        faults=[FaultRule("hang", path="/book_record", methods=["POST"], hang_s=write_timeout + 2)]
    )
    body = {**client(1), "appointments": [appointment(member, free[0], 20011)]}
    key = new_key()
    reply = gw.http("POST", f"/book_record/{loc}", body=body, headers={"Idempotency-Key": key})
    assert reply.status == 504
    assert "look the booking up" in reply.message.lower() and reply.json["success"] is False
    gw.sandbox.configure(faults=[])

    # Exactly one upstream attempt, and the booking did happen upstream.
    assert len(appointments_made(gw)) == 1
    # Availability was invalidated even though the outcome was unknown.
    assert free[0] not in times(gw, loc, member, when)
    # A blind retry with the same key gets the same 504, not a second booking.
    again = gw.http("POST", f"/book_record/{loc}", body=body, headers={"Idempotency-Key": key})
    assert again.status == 504 and again.headers.get("idempotent-replayed") == "true"
    assert len(appointments_made(gw)) == 1
    assert len([r for r in gw.bookings("/book_record") if r["method"] == "POST"]) <= 1


def test_slow_reschedule_and_cancel_are_504_without_retry(gw, write_timeout):
    token = gw.http("POST", "/booking/auth", body={"login": "demo", "password": "sandbox-pass"}).data[
        "user_token"
    ]
    user = {"Authorization": f"User {token}"}
    gw.sandbox.configure(
        faults=[FaultRule("hang", path="/user/records", methods=["DELETE"], hang_s=write_timeout + 2)]
    )
    reply = gw.http("DELETE", "/user/records/3000001/6ec9d28663ca828dd5f4b3b2e4b06ce6", headers=user)
    assert reply.status == 504 and "look it up" in reply.message.lower()
    gw.sandbox.configure(faults=[])
    deletes = [r for r in gw.sandbox.requests() if r["method"] == "DELETE"]
    assert len(deletes) <= 1
