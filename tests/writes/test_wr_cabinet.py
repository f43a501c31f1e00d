"""Sign-in and the client's cabinet: both Authorization forms, tokens only where Altegio wants them."""

import pytest
from wr_kit import DEMO_RECORD, RIGA, SMS_CODE

LOGIN = {"login": "demo", "password": "sandbox-pass"}


def _token(gw) -> str:
    reply = gw.http("POST", "/booking/auth", body=LOGIN)
    assert reply.status == 201, reply.body
    return reply.data["user_token"]


def test_booking_auth_and_profile_with_both_header_forms(gw):
    token = _token(gw)
    for header in (f"User {token}", f"Bearer partners-own-token, User {token}"):
        me = gw.http("GET", "/booking/user/data", headers={"Authorization": header})
        assert me.status == 200, me.body
        assert me.data["id"] == 501 and me.headers["cache-control"].startswith("no-store")


def test_wrong_password_passes_altegios_404_through(gw):
    reply = gw.http("POST", "/booking/auth", body={"login": "demo", "password": "wrong-password"})
    assert reply.status == 404 and reply.json["success"] is False


def test_phone_login_issues_a_token(gw):
    phone = "+37120000001"
    assert gw.http("POST", f"/book_code/{RIGA}", body={"phone": phone}).status == 201
    reply = gw.http("POST", "/user/auth", body={"phone": phone, "code": SMS_CODE})
    assert reply.status == 201 and reply.data["user_token"]
    wrong = gw.http("POST", "/user/auth", body={"phone": phone, "code": "000000"})
    assert wrong.status == 422 and wrong.codes == [432]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/booking/user/data", None),
        ("PUT", "/booking/user", {"name": "Demo Visitor"}),
        ("PUT", "/booking/user/password", {"old_password": "sandbox-pass", "new_password": "sandbox-pass"}),
        ("GET", f"/booking/user/phone_confirmation?company_id={RIGA}&phone=%2B37120000002", None),
        ("PUT", f"/book_record/{RIGA}/3000001", {"datetime": "2026-09-21T10:00:00+03:00"}),
    ],
)
def test_user_token_required(gw, method, path, body):
    for headers in (
        {},
        {"Authorization": "Bearer only-a-partner-token"},
        {"Authorization": "User bad token"},
    ):
        reply = gw.http(method, path, body=body, headers=headers)
        assert reply.status == 401, (headers, reply.body)
        assert reply.json["success"] is False
    assert gw.sandbox.requests() == []


def test_profile_update_password_and_phone_code(gw):
    user = {"Authorization": f"User {_token(gw)}"}
    put = gw.http("PUT", "/booking/user", body={"name": "Demo Visitor Jr"}, headers=user)
    assert put.status == 202, put.body
    assert gw.http("GET", "/booking/user/data", headers=user).data["name"] == "Demo Visitor Jr"
    code = gw.http(
        "GET", f"/booking/user/phone_confirmation?company_id={RIGA}&phone=%2B37120000002", headers=user
    )
    assert code.status == 202, code.body
    assert [r["method"] for r in gw.sandbox.requests() if "phone_confirmation" in r["path"]] == ["GET"]
    pw = gw.http(
        "PUT",
        "/booking/user/password",
        body={"old_password": "sandbox-pass", "new_password": "another-pass"},
        headers=user,
    )
    assert pw.status == 200 and pw.data["user_token"]
    assert gw.http("GET", "/booking/user/data", headers=user).status == 401  # the old token stopped working
    assert (
        gw.http(
            "GET", "/booking/user/data", headers={"Authorization": f"User {pw.data['user_token']}"}
        ).status
        == 200
    )


def test_phone_confirmation_needs_a_location_or_chain(gw):
    user = {"Authorization": f"User {_token(gw)}"}
    reply = gw.http("GET", "/booking/user/phone_confirmation?phone=%2B37120000002", headers=user)
    assert reply.status == 422


def test_records_for_guest_and_signed_in(gw):
    rec = DEMO_RECORD
    guest = gw.http("GET", f"/user/records/{rec['record_id']}/{rec['record_hash']}")
    assert guest.status == 201 and [r["id"] for r in guest.data] == [rec["record_id"]]
    mine = gw.http(
        "GET", f"/user/records/{rec['record_id']}/x", headers={"Authorization": f"User {_token(gw)}"}
    )
    assert mine.status == 201 and len(mine.data) == 3  # the demo visitor's three records
    assert gw.http("GET", f"/user/records/{rec['record_id']}/{'0' * 32}").status == 404
    view = gw.http("GET", f"/book_record/{RIGA}/{rec['record_id']}/{rec['record_hash']}")
    assert view.status == 200 and view.data["id"] == rec["record_id"]
    assert view.headers["cache-control"].startswith("no-store")


def test_review_form_and_submit(gw):
    form = gw.http("GET", "/master_record_review/review-101")
    assert form.status == 200 and form.data["is_review_submitted"] is False
    sent = gw.http(
        "POST", "/master_record_review/review-101", body={"rating": 5, "text": "Great", "tips_amount": 5}
    )
    assert sent.status == 200 and sent.data["charge"]["url"]
    again = gw.http("POST", "/master_record_review/review-101", body={"rating": 4})
    assert again.status == 422  # Altegio's own "already sent"
    assert gw.http("POST", "/master_record_review/review-101", body={"rating": 9}).status == 422
    assert gw.http("GET", "/master_record_review/no-such-token").status == 404


def test_phone_confirmation_query_is_checked_before_altegio(gw):
    user = {"Authorization": f"User {_token(gw)}"}
    mark = len(gw.sandbox.requests())
    for query in (
        "company_id=101&phone=%D9%A3%D9%A7%D9%A1%D9%A2%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0%D9%A0",
        "company_id=101.0&phone=%2B37120000002",
        "company_id=101&phone=call-me",
    ):
        assert gw.http("GET", f"/booking/user/phone_confirmation?{query}", headers=user).status == 422, query
    assert len(gw.sandbox.requests()) == mark
