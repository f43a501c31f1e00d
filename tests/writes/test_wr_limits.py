"""Abuse limits end to end on the local stack: SMS codes per phone and per visitor, phones (and logins, and
visitors) locked after wrong codes, the visitor read from X-Forwarded-For. A refusal is 429 + Retry-After in
Altegio's envelope, and the sandbox never sees the request. Time moves on the layer's clock (no sleeping)."""

from __future__ import annotations

import pytest
from wr_kit import RIGA, SMS_CODE, bookable_member, booking, day

PHONE = "+37120000011"
WRONG = "000000"


def code(gw, phone: str = PHONE, visitor: str | None = None, **kw):
    # The page's key with X-Forwarded-For "<visitor>": what CloudFront sends (it appended the viewer).
    headers = {"X-Forwarded-For": visitor} if visitor else {}
    return gw.http("POST", f"/book_code/{RIGA}", body={"phone": phone}, headers=headers, **kw)


def sign_in(gw, phone: str = PHONE, sms: str = WRONG, visitor: str | None = None):
    headers = {"X-Forwarded-For": visitor} if visitor else {}
    return gw.http("POST", "/user/auth", body={"phone": phone, "code": sms}, headers=headers)


def assert_refused(reply, *, within: int, says: str) -> int:
    assert reply.status == 429, reply.body
    assert reply.json["success"] is False and reply.json["data"] is None
    assert says in reply.message and "try again in" in reply.message
    retry_after = int(reply.headers["retry-after"])
    assert 1 <= retry_after <= within
    assert reply.headers["cache-control"].startswith("no-store")
    return retry_after


def sent(gw, path: str) -> int:
    return len(gw.bookings(path))


def test_the_sixth_code_within_an_hour_is_refused_and_never_reaches_altegio(gw, clock):
    for _ in range(5):
        assert code(gw).status == 201
        clock.advance(61)
    sixth = code(gw, "+371 2000 0011")  # the same phone, spelled otherwise
    retry_after = assert_refused(sixth, within=3600, says="Too many SMS codes for this phone")
    assert retry_after == 3600 - 5 * 61 and "try again in 55 minutes" in sixth.message
    assert sent(gw, "/book_code") == 5
    clock.advance(retry_after)
    assert code(gw).status == 201 and sent(gw, "/book_code") == 6


def test_a_second_code_within_a_minute_is_refused(gw, clock):
    assert code(gw).status == 201
    clock.advance(20)
    assert_refused(code(gw), within=40, says="at most one per 60 seconds")
    assert sent(gw, "/book_code") == 1
    clock.advance(40)
    assert code(gw).status == 201


def test_a_code_altegio_never_sent_does_not_count(gw, clock):
    assert code(gw, "+1 555").status == 422  # the gateway's own check: nothing sent, nothing counted
    gw.sandbox.configure(error_rate=1.0, error_status=403)
    assert code(gw).status == 403  # Altegio refused it: no SMS, given back
    gw.sandbox.configure(error_rate=1.0, error_status=503)
    assert code(gw).status == 502  # Altegio failed: it may have sent one, so it counts
    gw.sandbox.configure(error_rate=0.0)
    assert_refused(code(gw), within=60, says="for this phone")
    assert sent(gw, "/book_code") == 2


def test_wrong_codes_lock_the_phone_until_the_clock_moves_on(gw, clock):
    assert code(gw).status == 201
    for _ in range(5):
        wrong = sign_in(gw)
        assert wrong.status == 422 and wrong.codes == [432]
        clock.advance(5)
    locked = sign_in(gw, sms=SMS_CODE)  # even the right code: the phone is locked
    assert_refused(locked, within=900, says="Too many wrong codes for this phone")
    assert "locked" in locked.message
    assert sent(gw, "/user/auth") == 5
    clock.advance(int(locked.headers["retry-after"]))
    right = sign_in(gw, sms=SMS_CODE)
    assert right.status == 201 and right.data["user_token"]


def test_a_right_code_before_the_lock_starts_the_count_again(gw, clock):
    assert code(gw).status == 201
    for _ in range(4):
        assert sign_in(gw).status == 422
    assert sign_in(gw, sms=SMS_CODE).status == 201
    for _ in range(4):
        assert sign_in(gw).status == 422  # four more wrong codes: still answered by Altegio
    assert sent(gw, "/user/auth") == 9


def test_wrong_codes_of_a_booking_count_too(gw, clock):
    when = day(gw, RIGA, 1)
    member, slots = bookable_member(gw, RIGA, when)
    assert code(gw).status == 201
    body = booking(RIGA, member, slots[0], code=WRONG) | {"phone": PHONE}
    for n in range(5):
        reply = gw.http("POST", f"/book_record/{RIGA}", body=body, headers={"Idempotency-Key": f"k-{n}"})
        assert reply.status == 422 and reply.codes == [432]
    locked = gw.http("POST", f"/book_record/{RIGA}", body=body | {"code": SMS_CODE})
    assert_refused(locked, within=900, says="wrong codes for this phone")
    assert sent(gw, "/book_record") == 5
    # Even a replay of a stored answer: the lock is checked before anything else.
    replay = gw.http("POST", f"/book_record/{RIGA}", body=body, headers={"Idempotency-Key": "k-0"})
    assert replay.status == 429 and sent(gw, "/book_record") == 5


def test_wrong_passwords_lock_the_login(gw, clock):
    for _ in range(5):
        assert gw.http("POST", "/booking/auth", body={"login": "demo", "password": "nope-nope"}).status == 404
    locked = gw.http("POST", "/booking/auth", body={"login": "DEMO", "password": "sandbox-pass"})
    assert_refused(locked, within=900, says="Too many wrong passwords for this login")
    assert sent(gw, "/booking/auth") == 5


def test_one_visitor_cannot_spray_codes_across_phones_whatever_it_forges(gw, clock):
    visitor = "198.51.100.23"
    for n in range(10):
        forged = f"10.0.{n}.1, {visitor}"  # the viewer may write anything before CloudFront's entry
        assert code(gw, f"+3712100{n:04d}", visitor=forged).status == 201
    eleventh = code(gw, "+37121009999", visitor=f"203.0.113.77, {visitor}")
    assert_refused(eleventh, within=3600, says="from your address")
    assert sent(gw, "/book_code") == 10
    assert code(gw, "+37121009999", visitor="198.51.100.24").status == 201  # another visitor


def test_one_visitor_cannot_spray_wrong_codes_across_phones(gw, clock):
    visitor = "198.51.100.31"
    for n in range(10):
        assert sign_in(gw, f"+3712200{n:04d}", visitor=visitor).status == 422
    sprayed = sign_in(gw, "+37122009999", visitor=visitor)
    assert_refused(sprayed, within=900, says="wrong codes from your address")
    assert sign_in(gw, "+37122009999", visitor="198.51.100.32").status == 422  # another visitor: Altegio


def test_through_the_page_the_visitor_is_the_address_cloudfront_saw(gw, clock):
    """The local CloudFront appends the viewer (127.0.0.1) and connects from its edge: X-Forwarded-For
    entries the browser sends are ignored, so forging them gets no fresh allowance."""
    import json

    import urllib3

    page_api = gw.stack.page_url.rstrip("/") + "/api/v1"
    headers = {"Accept": "application/vnd.api.v2+json", "Content-Type": "application/json"}
    statuses = []
    for n in range(11):
        body = json.dumps({"phone": f"+3712300{n:04d}"}).encode()
        forged = {**headers, "X-Forwarded-For": f"192.0.2.{n + 1}"}
        statuses.append(
            urllib3.request("POST", f"{page_api}/book_code/{RIGA}", body=body, headers=forged).status
        )
    assert statuses == [201] * 10 + [429]


def test_partners_are_limited_per_phone_not_per_address(gw, clock):
    gw.stack.add_partner_key("partner-acme-key-0123456789")
    partner = {"x-api-key": "partner-acme-key-0123456789"}
    for n in range(12):  # one server, many visitors: no per-address cap
        reply = gw.http("POST", f"/book_code/{RIGA}", body={"phone": f"+3712400{n:04d}"}, headers=partner)
        assert reply.status == 201, reply.body
    again = gw.http("POST", f"/book_code/{RIGA}", body={"phone": "+37124000000"}, headers=partner)
    assert_refused(again, within=60, says="for this phone")


@pytest.mark.parametrize("path", ["/booking/user/phone_confirmation"])
def test_a_new_phones_code_is_limited_like_book_code(gw, clock, path):
    token = gw.http("POST", "/booking/auth", body={"login": "demo", "password": "sandbox-pass"}).data[
        "user_token"
    ]
    auth = {"Authorization": f"User {token}"}
    url = f"{path}?company_id={RIGA}&phone=%2B37120000099"
    assert gw.http("GET", url, headers=auth).status == 202
    assert_refused(gw.http("GET", url, headers=auth), within=60, says="for this phone")
    assert code(gw, "+37120000099").status == 429  # the same phone's counter
    assert sent(gw, "/phone_confirmation") == 1
