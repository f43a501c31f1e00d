"""Every operation with a location id answers 404 for a location the gateway does not serve, before any
upstream call."""

import pytest
from wr_kit import DEMO_RECORD, NEW_YORK, client

OTHER = 999
APPT = {"id": 1, "services": [20011], "staff_id": 0, "datetime": "2026-09-21T10:00:00-04:00"}
USER = {"Authorization": "User 8e88338d3149f7d8a281af25"}

CASES = [
    ("POST", f"/book_code/{OTHER}", {"phone": "+19175550001"}, {}),
    ("POST", f"/book_check/{OTHER}", {"appointments": [APPT]}, {}),
    ("POST", f"/book_record/{OTHER}", {**client(1), "appointments": [APPT]}, {"Idempotency-Key": "k-1"}),
    ("GET", f"/book_record/{OTHER}/3000001/6ec9d28663ca828dd5f4b3b2e4b06ce6", None, {}),
    ("PUT", f"/book_record/{OTHER}/3000001", {"datetime": "2026-09-21T10:00:00-04:00"}, USER),
    ("POST", f"/activity/{OTHER}/7201/book", client(1), {}),
    ("GET", f"/booking/user/phone_confirmation?company_id={OTHER}&phone=%2B19175550001", None, USER),
]


@pytest.mark.parametrize(("method", "path", "body", "headers"), CASES, ids=[c[1] for c in CASES])
def test_unknown_location_is_404_before_upstream(gw, method, path, body, headers):
    reply = gw.http(method, path, body=body, headers=headers)
    assert reply.status == 404, reply.body
    assert reply.json["success"] is False and reply.json["data"] is None
    assert gw.sandbox.requests() == []


def test_cancel_of_a_record_in_another_location_is_404(gw, monkeypatch):
    from booking_gateway import container

    monkeypatch.setenv("ALLOWED_LOCATION_IDS", str(NEW_YORK))
    container.reset()
    try:
        rec = DEMO_RECORD  # a Riga record
        reply = gw.http("DELETE", f"/user/records/{rec['record_id']}/{rec['record_hash']}")
        assert reply.status == 404
        assert [r["method"] for r in gw.sandbox.requests()] == ["GET"]  # the look-up only, no DELETE
    finally:
        monkeypatch.undo()
        container.reset()
