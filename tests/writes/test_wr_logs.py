"""The log scan is not vacuous: write functions do log, every line is masked, and the capture sees it."""

import re

from wr_kit import NEW_YORK, RIGA, SMS_CODE, appointment, bookable_member, client, day


def test_write_lines_are_captured_and_masked(gw):
    mark = gw.powertools.mark()
    who = client(11, RIGA)
    gw.http("POST", f"/book_code/{RIGA}", body={"phone": who["phone"], "fullname": who["fullname"]})
    token = gw.http("POST", "/user/auth", body={"phone": who["phone"], "code": SMS_CODE}).data["user_token"]
    member, free = bookable_member(gw, NEW_YORK, day(gw, NEW_YORK, 1))
    made = gw.http(
        "POST",
        f"/book_record/{NEW_YORK}",
        body={**client(12), "appointments": [appointment(member, free[0], 20011)]},
    ).data[0]
    gw.http(
        "DELETE",
        f"/user/records/{made['record_id']}/{made['record_hash']}",
        headers={"Authorization": f"Bearer x, User {token}"},
    )
    lines = [line for _, line in gw.powertools.since(mark)]
    assert any('"operation":"create_online_booking"' in line for line in lines), lines[:5]
    text = "\n".join(lines)
    for secret in (
        who["phone"],
        who["fullname"],
        token,
        made["record_hash"],
        SMS_CODE,
        "sandbox-partner-token",
    ):
        assert not re.search(r"(?<!\w)" + re.escape(secret) + r"(?!\w)", text), secret


def test_a_failure_with_personal_data_is_logged_masked(gw, monkeypatch):
    from booking_gateway import altegio_client

    who = client(13)

    def boom(*args, **kwargs):
        raise RuntimeError(f"unexpected trouble for {who['phone']} / {who['email']}")

    monkeypatch.setattr(altegio_client, "call", boom)
    mark = gw.powertools.mark()
    reply = gw.http("POST", f"/book_code/{RIGA}", body={"phone": who["phone"]})
    assert reply.status == 502
    text = "\n".join(line for _, line in gw.powertools.since(mark))
    assert who["phone"] not in text and who["email"] not in text
