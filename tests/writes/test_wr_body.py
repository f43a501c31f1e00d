"""Request bodies: JSON only, bounded size, validated before any upstream call; only spec fields forwarded."""

import json

from wr_kit import NEW_YORK, RIGA, client, event_for

APPT = {"id": 1, "services": [20011], "staff_id": 0, "datetime": "2026-09-21T10:00:00-04:00"}


def test_form_encoded_is_415(gw):
    reply = gw.http(
        "POST",
        f"/book_code/{RIGA}",
        raw=b"phone=%2B37120000001",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 415 and reply.json["success"] is False
    multipart = gw.http(
        "POST",
        f"/book_check/{NEW_YORK}",
        raw=b"--x\r\n\r\n--x--",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert multipart.status == 415
    assert gw.sandbox.requests() == []


def test_oversized_body_is_413_unparsed(gw):
    body = {**client(1), "comment": "x" * 20_000, "appointments": [APPT]}
    reply = gw.http("POST", f"/book_record/{NEW_YORK}", body=body)
    assert reply.status == 413
    assert gw.sandbox.requests() == []


def test_empty_and_broken_json_are_422(gw):
    assert gw.http("POST", f"/book_check/{NEW_YORK}", raw=b"").status == 422
    assert gw.http("POST", f"/book_check/{NEW_YORK}", raw=b"{not json").status == 422
    assert gw.http("POST", f"/book_check/{NEW_YORK}", raw=b"[1, 2]").status == 422
    assert gw.sandbox.requests() == []


def test_validation_errors_name_the_field_and_never_reach_altegio(gw):
    bad = gw.http(
        "POST", f"/book_check/{NEW_YORK}", body={"appointments": [{**APPT, "datetime": "tomorrow"}]}
    )
    assert bad.status == 422 and bad.json["success"] is False
    assert "datetime" in json.dumps(bad.json)
    code = gw.http(
        "POST", f"/book_record/{RIGA}", body={**client(1, RIGA), "code": "12ab", "appointments": [APPT]}
    )
    assert code.status == 422 and code.codes == [432]
    assert gw.sandbox.requests() == []


def test_json_with_charset_is_fine(gw):
    reply = gw.http(
        "POST",
        f"/book_code/{RIGA}",
        body={"phone": "+37120000001"},
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert reply.status == 201, reply.body


def test_only_spec_fields_are_forwarded(gw, monkeypatch):
    from booking_gateway import altegio_client

    sent = []
    real = altegio_client.call

    def spy(method, path, **kwargs):
        sent.append((method, path, kwargs))
        return real(method, path, **kwargs)

    monkeypatch.setattr(altegio_client, "call", spy)
    event = event_for(
        "book_code",
        f"/api/v1/book_code/{RIGA}",
        body={"phone": "+37120000001", "fullname": "Ilze Bērziņa", "admin": True, "notify": "all"},
    )
    assert gw.invoke("book_code", event).status == 201
    assert sent[0][2]["body"] == {"phone": "+37120000001", "fullname": "Ilze Bērziņa"}


def test_a_json_array_or_undecodable_body_is_refused(gw):
    member_body = {**client(1), "appointments": [APPT]}
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=[member_body]).status == 422
    assert gw.http("POST", f"/book_code/{RIGA}", raw=b'{"phone": "+3712\xff0000001"}').status == 422
    utf16 = '{"phone": "+37120000001"}'.encode("utf-16")
    assert gw.http("POST", f"/book_code/{RIGA}", raw=utf16).status == 422
    assert gw.sandbox.requests() == []


def test_path_ids_are_digits_only(gw):
    for loc in ("101.0", "1e2", "+101", "0x65"):
        reply = gw.http("POST", f"/book_code/{loc}", body={"phone": "+37120000001"})
        assert reply.status in (404, 422), (loc, reply.status)
    assert gw.sandbox.requests() == []
