"""Request bodies of the write operations: sanity bounds, Altegio's codes for bad client fields, and the
upstream body (only the spec's fields, exactly as sent)."""

import pytest
from booking_gateway.write_models import (
    BUSINESS_CODES,
    MAX_APPOINTMENTS,
    ActivityBookRequest,
    BookCheckRequest,
    BookCodeRequest,
    BookingAuthRequest,
    BookingUserUpdateRequest,
    BookRecordRequest,
    PasswordUpdateRequest,
    RescheduleRequest,
    ReviewRequest,
    UserAuthRequest,
)
from pydantic import ValidationError

APPT = {"id": 1, "services": [10011], "staff_id": 0, "datetime": "2026-09-21T10:00:00+03:00"}
RECORD = {"phone": "+37120000001", "fullname": "Ilze Bērziņa", "appointments": [APPT]}


def errors_of(model, body) -> list[tuple]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(body)
    return [e["loc"] for e in info.value.errors()]


@pytest.mark.parametrize(
    "phone",
    ["+37120000001", "37120000001", "+1 (315) 555-0175", "+1.315.555.0175", "+1234567", " +37120000001 "],
)
def test_phone_accepts_international_forms(phone):
    assert BookRecordRequest.model_validate({**RECORD, "phone": phone}).phone == phone.strip()


@pytest.mark.parametrize(
    "phone", ["", "abc", "+37 12x 000", "+123456", "+1234567890123456", "1" * 40, 37120000001]
)
def test_phone_rejects_junk(phone):
    assert errors_of(BookRecordRequest, {**RECORD, "phone": phone})[0][0] == "phone"


@pytest.mark.parametrize("name", ["", "   ", None])
def test_name_must_not_be_empty(name):
    assert errors_of(BookRecordRequest, {**RECORD, "fullname": name})[0][0] == "fullname"


@pytest.mark.parametrize(
    "when",
    [
        "2026-09-21T10:00:00+03:00",
        "2026-09-21T10:00:00.000-05:00",
        "2026-10-24T17:30:00-0500",
        "2026-09-21T07:00:00Z",
        "2026-09-21T10:00+03:00",
    ],
)
def test_datetime_with_offset_is_kept_verbatim(when):
    req = BookRecordRequest.model_validate({**RECORD, "appointments": [{**APPT, "datetime": when}]})
    assert req.upstream()["appointments"][0]["datetime"] == when


@pytest.mark.parametrize(
    "when",
    ["2026-09-21T10:00:00", "2026-09-21", "tomorrow", "2026-13-40T10:00:00+03:00", "2026-09-21T25:00:00Z", 1],
)
def test_datetime_needs_a_valid_offset(when):
    loc = errors_of(BookRecordRequest, {**RECORD, "appointments": [{**APPT, "datetime": when}]})[0]
    assert loc[:3] == ("appointments", 0, "datetime")


def test_appointments_need_ids_staff_and_bounds():
    assert ("appointments", 0, "id") in errors_of(
        BookRecordRequest, {**RECORD, "appointments": [{k: v for k, v in APPT.items() if k != "id"}]}
    )
    assert ("appointments", 0, "staff_id") in errors_of(
        BookCheckRequest, {"appointments": [{k: v for k, v in APPT.items() if k != "staff_id"}]}
    )
    assert errors_of(BookCheckRequest, {"appointments": []}) == [("appointments",)]
    many = [{**APPT, "id": i} for i in range(MAX_APPOINTMENTS + 1)]
    assert errors_of(BookCheckRequest, {"appointments": many}) == [("appointments",)]
    assert errors_of(BookCheckRequest, {"appointments": [APPT, APPT]}) == [()]  # ids must be unique
    assert errors_of(BookCheckRequest, {"appointments": [{**APPT, "services": [0]}]})[0][:3] == (
        "appointments",
        0,
        "services",
    )


def test_upstream_body_is_the_spec_fields_as_sent():
    body = {
        **RECORD,
        "email": "",
        "code": 123456,
        "api_id": 777,
        "notify_by_sms": 24,
        "type": "web",
        "appointments": [{**APPT, "custom_fields": {"colour": ["red"]}}],
        "is_admin": True,
    }
    out = BookRecordRequest.model_validate(body).upstream()
    assert "is_admin" not in out
    assert out["code"] == 123456 and out["api_id"] == 777 and out["email"] == ""
    assert out["appointments"][0]["custom_fields"] == {"colour": ["red"]}
    assert "comment" not in out  # unset fields are not invented


def test_sms_code_and_email_checks():
    assert errors_of(BookRecordRequest, {**RECORD, "code": "12ab"})[0][0] == "code"
    assert errors_of(BookRecordRequest, {**RECORD, "email": "not-an-email"})[0][0] == "email"
    assert BookRecordRequest.model_validate({**RECORD, "code": "0042"}).upstream()["code"] == "0042"


def test_business_codes_are_altegios():
    assert BUSINESS_CODES["phone"][0] == 431
    assert BUSINESS_CODES["code"][0] == 432
    assert BUSINESS_CODES["fullname"][0] == 435


def test_other_bodies():
    assert BookCodeRequest.model_validate({"phone": "+37120000001", "fulname": "X Y"}).upstream() == {
        "phone": "+37120000001",
        "fulname": "X Y",
    }
    assert RescheduleRequest.model_validate({"datetime": "2026-09-21T10:00:00+03:00"}).upstream() == {
        "datetime": "2026-09-21T10:00:00+03:00"
    }
    assert errors_of(RescheduleRequest, {"comment": "x"}) == [("datetime",)]
    assert errors_of(ActivityBookRequest, {"phone": "+37120000001", "fullname": "A B", "email": ""})[0] == (
        "email",
    )
    assert errors_of(
        ActivityBookRequest,
        {"phone": "+37120000001", "fullname": "A B", "email": "a@b.co", "clients_count": 0},
    )[0] == ("clients_count",)
    assert errors_of(UserAuthRequest, {"phone": "+37120000001"}) == [("code",)]
    assert errors_of(BookingAuthRequest, {"login": " ", "password": "x"}) == [("login",)]
    assert errors_of(BookingUserUpdateRequest, {"confirmation_code": "1234"}) == [()]
    assert errors_of(PasswordUpdateRequest, {"old_password": "x"}) == [("new_password",)]
    assert errors_of(ReviewRequest, {"rating": 6}) == [("rating",)]
    assert errors_of(ReviewRequest, {"rating": "5"}) == [("rating",)]  # a whole number, as Altegio wants
    assert errors_of(ReviewRequest, {"rating": 5, "tips_amount": -1}) == [("tips_amount",)]


def test_strings_are_bounded():
    assert errors_of(BookRecordRequest, {**RECORD, "comment": "x" * 2001})[0] == ("comment",)
    assert errors_of(BookRecordRequest, {**RECORD, "fullname": "x" * 256})[0] == ("fullname",)
    assert errors_of(BookRecordRequest, {**RECORD, "api_id": "x" * 65})[0][0] == "api_id"
    assert errors_of(BookRecordRequest, {**RECORD, "api_id": 10**70})[0] == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fullname", "Ilze\x00"),
        ("fullname", "Ilze\x1b[31m"),
        ("email", "a@b.co\x08"),
        ("comment", "hi\x7f"),
        ("fullname", "Ilze\nBērziņa"),
        ("phone", "+3712000000\r\n1"),
        ("phone", "+٣٧١٢٠٠٠٠٠٠١"),
        ("code", "１２３４５６"),
    ],
)
def test_control_characters_and_non_ascii_digits_are_refused(field, value):
    assert errors_of(BookRecordRequest, {**RECORD, field: value})[0][0] == field


def test_comments_may_span_lines_and_ids_are_whole_numbers():
    assert BookRecordRequest.model_validate({**RECORD, "comment": "line one\nline two"}).comment
    for bad in (True, 1.0, "1.5", "٣"):
        assert errors_of(BookCheckRequest, {"appointments": [{**APPT, "staff_id": bad}]})[0][:3] == (
            "appointments",
            0,
            "staff_id",
        )
    assert (
        BookCheckRequest.model_validate({"appointments": [{**APPT, "staff_id": "1011"}]})
        .appointments[0]
        .staff_id
        == 1011
    )
    assert errors_of(BookCheckRequest, {"appointments": [{**APPT, "custom_fields": {"k": "v\x00"}}]})


def test_a_model_is_built_only_when_its_route_first_uses_it():
    import subprocess
    import sys

    # A fresh interpreter: this one's tests have built every model already.
    code = (
        "from booking_gateway import write_models as w\n"
        "models = [m for m in vars(w).values() if isinstance(m, type) and issubclass(m, w.WriteModel)]\n"
        "assert len(models) > 5 and not any(m.__pydantic_complete__ for m in models), 'built at import'\n"
        "w.BookCodeRequest.model_validate({'phone': '+441234567890'})\n"
        "print(sorted(m.__name__ for m in models if m.__pydantic_complete__))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_layer_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['BookCodeRequest']"]


def _layer_env() -> dict:
    import os
    from pathlib import Path

    import booking_gateway

    return {**os.environ, "PYTHONPATH": str(Path(booking_gateway.__file__).parents[1])}
