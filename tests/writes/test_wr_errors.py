"""Altegio's business errors 431-438 (and 403/434) reach the caller intact: the same status, code and
message as the sandbox Altegio answers for the same request. Cloudflare's pages in front of Altegio and
errors of Altegio's older shape reach the caller in Altegio's envelope; a booking refused so is not made."""

from datetime import datetime, time, timedelta

import pytest
from wr_kit import (
    BLACKLISTED_PHONE,
    NEW_YORK,
    REMOVED_SERVICE,
    RIGA,
    SERVICE,
    appointment,
    appointments_made,
    bookable_member,
    booking,
    client,
    day,
    new_key,
)

from sandbox import FaultRule


def same_as_upstream(gw, method, path, body, expect_status, expect_code):
    """The gateway's answer equals the sandbox's own answer for the same request."""
    direct = gw.upstream(method, path, body=body)
    assert direct.status == expect_status and expect_code in direct.codes, direct.body
    gw.sandbox.reset()  # the direct call may have changed state (codes, records)
    through = gw.http(method, path, body=body)
    assert (through.status, through.json) == (direct.status, direct.json)
    return through


def _free(gw, loc=NEW_YORK):
    member, free = bookable_member(gw, loc, day(gw, loc, 1))
    return member, free[0]


def test_431_phone_format_from_altegio(gw):
    # 7 digits: plausible to the gateway, too short for Altegio
    member, when = _free(gw)
    body = {**client(1), "phone": "+1234567", "appointments": [appointment(member, when, SERVICE[NEW_YORK])]}
    same_as_upstream(gw, "POST", f"/book_record/{NEW_YORK}", body, 422, 431)


def test_431_and_435_refused_by_the_gateway_in_altegios_words(gw):
    member, when = _free(gw)
    base = {**client(1), "appointments": [appointment(member, when, SERVICE[NEW_YORK])]}
    for field, value, code in (("phone", "call me maybe", 431), ("fullname", "   ", 435)):
        body = {**base, field: value}
        direct = gw.upstream("POST", f"/book_record/{NEW_YORK}", body=body)
        through = gw.http("POST", f"/book_record/{NEW_YORK}", body=body)
        assert direct.status == through.status == 422
        assert direct.codes == through.codes == [code]
        assert through.message == direct.message
    assert len([r for r in gw.bookings() if r["method"] == "POST"]) == 2  # only the two direct calls


def test_432_wrong_sms_code(gw):
    member, when = _free(gw, RIGA)
    who = client(2, RIGA)
    gw.http("POST", f"/book_code/{RIGA}", body={"phone": who["phone"]})
    body = {**who, "code": "999999", "appointments": [appointment(member, when, SERVICE[RIGA])]}
    through = gw.http("POST", f"/book_record/{RIGA}", body=body)
    direct = gw.upstream("POST", f"/book_record/{RIGA}", body=body)
    assert (through.status, through.json) == (direct.status, direct.json) and through.codes == [432]


def test_433_time_taken_on_check_and_record(gw):
    member, when = _free(gw)
    body = {**client(3), "appointments": [appointment(member, when, SERVICE[NEW_YORK])]}
    assert gw.upstream("POST", f"/book_record/{NEW_YORK}", body=body).status == 201
    record = gw.http("POST", f"/book_record/{NEW_YORK}", body=body)
    check = gw.http("POST", f"/book_check/{NEW_YORK}", body={"appointments": body["appointments"]})
    for reply in (record, check):
        assert reply.status == 422 and reply.codes == [433]
        assert (
            reply.json
            == gw.upstream(
                "POST", f"/book_check/{NEW_YORK}", body={"appointments": body["appointments"]}
            ).json
        )


def test_434_blacklisted_is_403(gw):
    member, when = _free(gw)
    body = {
        **client(4),
        "phone": BLACKLISTED_PHONE,
        "appointments": [appointment(member, when, SERVICE[NEW_YORK])],
    }
    same_as_upstream(gw, "POST", f"/book_record/{NEW_YORK}", body, 403, 434)


def _full_day_436(gw):
    """A time when every team member who does the service is taken ("any member" → 436)."""
    loc = NEW_YORK
    tz = gw.sandbox.state.world.locations[loc].tz
    for offset in range(2, 15):
        when = day(gw, loc, offset)
        for hour in range(9, 19):
            dt = datetime.combine(when, time(hour), tz).isoformat()
            appts = [appointment(0, dt, SERVICE[loc])]
            if 436 in gw.upstream("POST", f"/book_check/{loc}", body={"appointments": appts}).codes:
                return appts
    pytest.fail("no fully booked time found in the demo data")


def test_436_no_team_member_available(gw):
    appts = _full_day_436(gw)
    same_as_upstream(gw, "POST", f"/book_check/{NEW_YORK}", {"appointments": appts}, 422, 436)
    same_as_upstream(gw, "POST", f"/book_record/{NEW_YORK}", {**client(5), "appointments": appts}, 422, 436)


def test_437_overlap_within_the_request(gw):
    member, when = _free(gw)
    later = (datetime.fromisoformat(when) + timedelta(minutes=30)).isoformat()
    appts = [
        appointment(member, when, SERVICE[NEW_YORK], 1),
        appointment(member, later, SERVICE[NEW_YORK], 2),
    ]
    same_as_upstream(gw, "POST", f"/book_check/{NEW_YORK}", {"appointments": appts}, 422, 437)
    same_as_upstream(gw, "POST", f"/book_record/{NEW_YORK}", {**client(6), "appointments": appts}, 422, 437)


def test_438_service_removed(gw):
    member, when = _free(gw)
    appts = [appointment(member, when, REMOVED_SERVICE[NEW_YORK])]
    same_as_upstream(gw, "POST", f"/book_check/{NEW_YORK}", {"appointments": appts}, 422, 438)
    same_as_upstream(gw, "POST", f"/book_record/{NEW_YORK}", {**client(7), "appointments": appts}, 422, 438)


def test_event_booking_errors_pass_through(gw):
    body = {**client(8), "clients_count": 99}
    same_as_upstream(gw, "POST", f"/activity/{NEW_YORK}/7201/book", body, 422, 422)


# -- Cloudflare's pages and Altegio's older error shape (sandbox faults "challenge", "blocked", "legacy") --
TAKEN = "The selected time is already taken or is not working."
EDGE_PAGES = ("challenge", "blocked")


def _refused_by_edge(reply, says: str) -> None:
    """502 + Retry-After in Altegio's envelope, a message naming the edge; nothing of the page."""
    assert reply.status == 502 and reply.headers["content-type"].startswith("application/json"), reply.body
    assert reply.json["success"] is False and reply.json["data"] is None
    assert "Cloudflare" in reply.message and says in reply.message, reply.message
    assert "<html" not in reply.body.lower() and int(reply.headers["retry-after"]) >= 1


def _older_433(reply) -> None:
    """Altegio's older-shape 422, in the current envelope: status, code and message kept."""
    assert reply.status == 422, reply.body
    assert reply.json == {
        "success": False,
        "data": None,
        "meta": {"message": TAKEN, "errors": [{"code": 433, "message": TAKEN}]},
    }


@pytest.mark.parametrize("kind", [*EDGE_PAGES, "legacy"])
def test_booking_refused_at_the_edge_or_in_the_older_shape_is_not_made(gw, kind):
    """Reported as not made; no record, no invalidation; the Idempotency-Key is not kept: the retry books."""
    member, when = _free(gw)
    listing = f"/book_times/{NEW_YORK}/{member}/{when[:10]}?service_ids[]={SERVICE[NEW_YORK]}"
    assert gw.http("GET", listing).status == 200  # cached: a refused booking must not expire it
    extra = {"code": 433, "message": TAKEN} if kind == "legacy" else {}
    gw.sandbox.configure(faults=[FaultRule(kind, path="/book_record", methods=["POST"], times=1, **extra)])
    body, key = booking(NEW_YORK, member, when), {"Idempotency-Key": new_key()}
    refused = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers=key)
    if kind == "legacy":
        _older_433(refused)
    else:
        _refused_by_edge(refused, "booking was not made")
    assert gw.sandbox.requests()[-1]["fault"].startswith(kind)
    assert appointments_made(gw) == []
    assert gw.http("GET", listing).headers["x-cache"] == "hit"
    retried = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers=key)
    assert retried.status == 201 and "idempotent-replayed" not in retried.headers, retried.body
    assert [(a["staff_id"], a["datetime"]) for a in appointments_made(gw)] == [(member, when)]


@pytest.mark.parametrize("kind", [*EDGE_PAGES, "legacy"])
def test_check_refused_at_the_edge_or_in_the_older_shape(gw, kind):
    member, when = _free(gw)
    body = {"appointments": [appointment(member, when, SERVICE[NEW_YORK])]}
    extra = {"code": 433, "message": TAKEN} if kind == "legacy" else {}
    gw.sandbox.configure(faults=[FaultRule(kind, path="/book_check", times=1, **extra)])
    refused = gw.http("POST", f"/book_check/{NEW_YORK}", body=body)
    if kind == "legacy":
        _older_433(refused)
    else:
        _refused_by_edge(refused, "nothing was done")
    assert gw.sandbox.requests()[-1]["fault"].startswith(kind)
    assert gw.http("POST", f"/book_check/{NEW_YORK}", body=body).status == 201  # no refusal was kept
