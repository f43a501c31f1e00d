"""Successful (or possibly successful) availability changes bump the location's generation before the
answer; failures do not."""

import pytest
from wr_kit import DEMO_RECORD, NEW_YORK, RIGA, appointment, bookable_member, client, day

from sandbox import FaultRule


@pytest.fixture
def bumps(monkeypatch):
    from booking_gateway import cache

    seen: list[int] = []
    real = cache.bump_generation

    def spy(location_id):
        seen.append(location_id)
        return real(location_id)

    monkeypatch.setattr(cache, "bump_generation", spy)
    return seen


def _user(gw):
    token = gw.http("POST", "/booking/auth", body={"login": "demo", "password": "sandbox-pass"}).data[
        "user_token"
    ]
    return {"Authorization": f"User {token}"}


def test_book_record_bumps_its_location_only_on_success(gw, bumps):
    member, free = bookable_member(gw, NEW_YORK, day(gw, NEW_YORK, 1))
    body = {**client(1), "appointments": [appointment(member, free[0], 20011)]}
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=body).status == 201
    assert bumps == [NEW_YORK]
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=body).status == 422  # taken: nothing changed
    assert bumps == [NEW_YORK]


def test_check_and_code_never_bump(gw, bumps):
    member, free = bookable_member(gw, NEW_YORK, day(gw, NEW_YORK, 1))
    gw.http("POST", f"/book_check/{NEW_YORK}", body={"appointments": [appointment(member, free[0], 20011)]})
    gw.http("POST", f"/book_code/{RIGA}", body={"phone": "+37120000009"})
    assert bumps == []


def test_reschedule_bumps(gw, bumps):
    member, free = bookable_member(gw, RIGA, day(gw, RIGA, 5))
    reply = gw.http(
        "PUT",
        f"/book_record/{RIGA}/{DEMO_RECORD['record_id']}",
        body={"datetime": free[-1]},
        headers=_user(gw),
    )
    assert reply.status in (200, 422), reply.body
    assert bumps == ([RIGA] if reply.status == 200 else [])


def test_activity_booking_bumps(gw, bumps):
    reply = gw.http("POST", f"/activity/{NEW_YORK}/7201/book", body={**client(2), "clients_count": 1})
    assert reply.status == 200, reply.body
    assert bumps == [NEW_YORK]


def test_cancel_finds_the_location_first(gw, bumps):
    rec = DEMO_RECORD
    reply = gw.http("DELETE", f"/user/records/{rec['record_id']}/{rec['record_hash']}")
    assert reply.status == 200, reply.body
    assert bumps == [RIGA]
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
