"""Request bodies (and path / query shapes) of the write and client-cabinet operations, from the spec.

shared/altegio/openapi.yaml + altegio-api.md §3.9-§3.18. The gateway checks shape, not business rules:
the checks here are sanity bounds that are never stricter than Altegio (a phone number Altegio might
accept is not refused here), and a value Altegio would reject with a business code is refused with that
same code (431 phone, 432 SMS code, 435 name; see BUSINESS_CODES) so callers see one vocabulary.

Models ignore unknown keys and the gateway forwards `model_dump(exclude_unset=True)`: only the spec's
fields, exactly as the caller sent them (datetimes stay opaque strings, codes keep their type).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

MAX_BODY_BYTES = 16 * 1024  # a booking with 10 appointments and custom fields is ~3 KB
MAX_APPOINTMENTS = 10
MAX_SERVICES = 20

# -- field types ----------------------------------------------------------------------------------
# ASCII only: Python's \d would also take Arabic-Indic or full-width digits.
_PHONE_CHARS = re.compile(r"^\+?[0-9 \-().]+$", re.ASCII)
_SMS_CODE = re.compile(r"^[0-9]{1,10}$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# ISO 8601 date + time with a UTC offset: Z, +03:00 or colon-less +0300 (Altegio's record payloads).
_ISO_WITH_OFFSET = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})$",
    re.IGNORECASE | re.ASCII,
)
# Control characters (C0 but tab / newline / carriage return, DEL, C1) never belong in a booking; a
# one-line field (name, e-mail, login) takes no line breaks or tabs either.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\t\r\n\u2028\u2029]")
CONTROL_MESSAGE = "must not contain control characters"


def _text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(CONTROL_MESSAGE)
    return value


def _line(value: str) -> str:
    if _CONTROL.search(value) or _LINE_BREAK.search(value):
        raise ValueError(CONTROL_MESSAGE + " or line breaks")
    return value


def _phone(value: str) -> str:
    """International phone: ASCII digits with an optional '+' and separators; 7-15 digits (E.164)."""
    digits = sum(ch in "0123456789" for ch in value)
    if not _PHONE_CHARS.match(value) or not 7 <= digits <= 15:
        raise ValueError("Invalid phone number format")
    return value


def _iso_with_offset(value: str) -> str:
    if not _ISO_WITH_OFFSET.match(value):
        raise ValueError(
            "must be an ISO 8601 date and time with a UTC offset, e.g. 2026-09-21T10:00:00+03:00"
        )
    text = value.replace(" ", "T")
    if re.search(r"[+-][0-9]{4}$", text):  # colon-less offset: make it explicit for fromisoformat
        text = text[:-2] + ":" + text[-2:]
    try:
        datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise ValueError("is not a valid date and time") from exc
    return value  # forwarded verbatim: Altegio wants the slot's datetime exactly as book_times gave it


def _sms_code(value: str | int) -> str | int:
    if isinstance(value, bool) or not _SMS_CODE.match(str(value)):
        raise ValueError("Wrong SMS confirmation code")
    return value


def _email(value: str) -> str:
    if value and not _EMAIL.match(value):
        raise ValueError("Invalid email")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("Client name is required")
    return value


def _json_text(value: Any) -> Any:
    """custom_fields: any JSON, but no control characters in its strings (keys included)."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {_text(str(k)): _json_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_text(v) for v in value]
    return value


Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(_phone)]
FullName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=255),
    AfterValidator(_line),
    AfterValidator(_non_empty),
]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(_line)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254),
    AfterValidator(_line),
    AfterValidator(_email),
]
SmsCode = Annotated[str | int, AfterValidator(_sms_code)]
IsoDateTime = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_iso_with_offset)
]
Comment = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_text)]
ShortText = Annotated[str, StringConstraints(max_length=64), AfterValidator(_line)]
ApiId = Annotated[ShortText | int, Field(union_mode="left_to_right")]
ReminderHours = Annotated[int, Field(ge=0, le=8760)]  # hours before the visit, 0 = none
Password = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_text)]


def _whole(value: object) -> object:
    """An id as a JSON number or digit string; never true/false or 1.0."""
    if isinstance(value, bool | float) or (
        isinstance(value, str) and not (value.isascii() and value.isdigit())
    ):
        raise ValueError("must be a whole number")
    return value


Id = Annotated[int, BeforeValidator(_whole), Field(ge=1, le=2**31 - 1)]
IdOrAny = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=2**31 - 1)]  # 0 = any team member

# Path parameters of the write routes. Ids are digits only: "101.0", "1e2", " 101" or "+101" are refused
# rather than read as 101.
MAX_ID = 2**31 - 1


def _digits(value: object) -> object:
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number (digits only)")
    return value


PathId = Annotated[int, BeforeValidator(_digits)]
LocationIdParam = Annotated[PathId, Path(ge=1, le=MAX_ID, description="Altegio location (company) id")]
RecordIdParam = Annotated[PathId, Path(ge=1, le=MAX_ID, description="Record (appointment) id")]
RecordHashParam = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$", description="The record's hash (a secret; needed by guests)")
]
EventIdParam = Annotated[PathId, Path(ge=1, le=MAX_ID, description="Group event (activity) id")]
PhoneQuery = Annotated[Phone, Query(description="Phone number, international")]
CompanyIdQuery = Annotated[PathId | None, Query(ge=1, le=MAX_ID, description="Location id")]
GroupIdQuery = Annotated[PathId | None, Query(ge=1, le=MAX_ID, description="Chain id")]
RecordTokenParam = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$", description="Short record token of the review link")
]

# Body fields whose failed check is answered with Altegio's own business code (altegio-api.md §2.2).
BUSINESS_CODES: dict[str, tuple[int, str]] = {
    "phone": (431, "Invalid phone number format"),
    "code": (432, "Wrong SMS confirmation code"),
    "fullname": (435, "Client name is required"),
}


class WriteModel(BaseModel):
    """Unknown keys are dropped (only the spec's fields are forwarded); values are kept as sent.

    defer_build: a model's validator is built when first used, so a function builds only its own route's
    (this module holds every write route's, ~20 ms of import if all were built)."""

    model_config = ConfigDict(extra="ignore", str_max_length=4096, defer_build=True)

    def upstream(self) -> dict[str, Any]:
        """The body to send to Altegio: the fields the caller set, as they set them."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


class Appointment(WriteModel):
    id: IdOrAny = Field(description="The caller's number for this appointment; echoed in results and errors")
    services: Annotated[list[Id], Field(max_length=MAX_SERVICES)] = Field(
        default_factory=list, description="Service ids"
    )
    staff_id: IdOrAny = Field(description="Team member id, 0 = any team member")
    datetime: IsoDateTime = Field(description="The slot's datetime exactly as book_times returned it")
    custom_fields: Annotated[dict[str, Any], Field(max_length=50), AfterValidator(_json_text)] | None = Field(
        None, description="Values keyed by the location's custom-field codes"
    )


Appointments = Annotated[list[Appointment], Field(min_length=1, max_length=MAX_APPOINTMENTS)]


def _unique_ids(appointments: list[Appointment]) -> None:
    ids = [a.id for a in appointments]
    if len(set(ids)) != len(ids):
        raise ValueError("appointment ids must be unique within a request")


class BookCodeRequest(WriteModel):
    """POST /book_code/{location_id}: send an SMS confirmation code."""

    phone: Phone
    fullname: OptionalName | None = None
    fulname: OptionalName | None = Field(
        None, description="The spec's spelling of fullname; forwarded as sent"
    )


class BookCheckRequest(WriteModel):
    """POST /book_check/{location_id}: validate appointments before booking."""

    appointments: Appointments

    @model_validator(mode="after")
    def _ids(self) -> BookCheckRequest:
        _unique_ids(self.appointments)
        return self


class ClientFields(WriteModel):
    phone: Phone
    fullname: FullName
    email: Email | None = None
    code: SmsCode | None = Field(
        None, description="SMS code from book_code when the location confirms phones"
    )
    comment: Comment | None = None
    type: ShortText | None = Field(None, description="Booking source, e.g. mobile")
    notify_by_sms: ReminderHours | None = None
    notify_by_email: ReminderHours | None = None
    api_id: ApiId | None = Field(None, description="The caller's external id for the booking")

    @model_validator(mode="after")
    def _api_id_bound(self) -> ClientFields:
        if self.api_id is not None and len(str(self.api_id)) > 64:
            raise ValueError("api_id must be at most 64 characters")
        return self


class BookRecordRequest(ClientFields):
    """POST /book_record/{location_id}: create booking(s)."""

    appointments: Appointments

    @model_validator(mode="after")
    def _ids(self) -> BookRecordRequest:
        _unique_ids(self.appointments)
        return self


class RescheduleRequest(WriteModel):
    """PUT /book_record/{location_id}/{record_id}: move a booking."""

    datetime: IsoDateTime
    comment: Comment | None = None


class ActivityBookRequest(ClientFields):
    """POST /activity/{location_id}/{event_id}/book: seats in a group event (e-mail required here)."""

    email: Email = Field(min_length=3)
    clients_count: Annotated[int, Field(ge=1, le=100)] | None = Field(None, description="Seats")


class UserAuthRequest(WriteModel):
    """POST /user/auth: phone + SMS code (the spec's login/password schema here is a documented error)."""

    phone: Phone
    code: SmsCode


class BookingAuthRequest(WriteModel):
    """POST /booking/auth: online-booking account login (phone or e-mail) + password."""

    login: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254), AfterValidator(_line)
    ]
    password: Password


class BookingUserUpdateRequest(WriteModel):
    """PUT /booking/user: name / e-mail / phone (+ confirmation_code when the phone changes)."""

    name: OptionalName | None = None
    email: Email | None = None
    phone: Phone | None = None
    confirmation_code: SmsCode | None = None

    @model_validator(mode="after")
    def _something(self) -> BookingUserUpdateRequest:
        if not self.model_fields_set & {"name", "email", "phone"}:
            raise ValueError("send at least one of name, email, phone")
        return self


class PasswordUpdateRequest(WriteModel):
    """PUT /booking/user/password: answers with a new user token."""

    old_password: Annotated[str, StringConstraints(max_length=128), AfterValidator(_text)] | None = None
    new_password: Password


class ReviewRequest(WriteModel):
    """POST /master_record_review/{record_token}: rating 1-5, optional text and tips."""

    rating: Annotated[int, Field(ge=1, le=5, strict=True)]
    text: Comment | None = None
    tips_amount: Annotated[float, Field(ge=0, le=100_000)] | None = None
    redirect_prefix: (
        Annotated[str, StringConstraints(max_length=512, pattern=r"^https?://"), AfterValidator(_line)] | None
    ) = None
