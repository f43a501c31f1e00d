"""Every upstream call of the write functions draws on the budget with priority "write"; writes are
never marked idempotent (so never retried by the client)."""

import pytest
from wr_kit import DEMO_RECORD, NEW_YORK, RIGA, client

WRITES = {"POST", "PUT", "DELETE"}


@pytest.fixture
def calls(monkeypatch):
    from booking_gateway import altegio_client

    seen = []
    real = altegio_client.call

    def spy(method, path, **kwargs):
        seen.append((method, path, kwargs["priority"], kwargs["idempotent"]))
        return real(method, path, **kwargs)

    monkeypatch.setattr(altegio_client, "call", spy)
    return seen


def test_write_functions_use_write_priority(gw, calls):
    token = gw.http("POST", "/booking/auth", body={"login": "demo", "password": "sandbox-pass"}).data[
        "user_token"
    ]
    user = {"Authorization": f"User {token}"}
    rec = DEMO_RECORD
    gw.http("POST", f"/book_code/{RIGA}", body={"phone": "+37120000005"})
    gw.http(
        "POST",
        f"/book_check/{NEW_YORK}",
        body={
            "appointments": [
                {"id": 1, "services": [20011], "staff_id": 0, "datetime": "2026-09-21T10:00:00-04:00"}
            ]
        },
    )
    gw.http("GET", f"/book_record/{RIGA}/{rec['record_id']}/{rec['record_hash']}")
    gw.http("GET", "/booking/user/data", headers=user)
    gw.http("GET", f"/booking/user/phone_confirmation?company_id={RIGA}&phone=%2B37120000002", headers=user)
    gw.http("POST", f"/activity/{NEW_YORK}/7201/book", body={**client(1), "clients_count": 1})
    gw.http("DELETE", f"/user/records/{rec['record_id']}/{rec['record_hash']}")
    assert len(calls) >= 8
    assert {c[2] for c in calls} == {"write"}
    for method, path, _, idempotent in calls:
        if method in WRITES or "phone_confirmation" in path:
            assert idempotent is False, (method, path)
