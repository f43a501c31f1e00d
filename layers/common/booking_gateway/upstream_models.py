"""Altegio's Online Booking payloads as pydantic v2 models: the `data` of each of the 24 operations.

Written from the spec's facts (shared/altegio/openapi.yaml and altegio-api.md), tolerant where Altegio
is: extra fields allowed, PHP's `[]` for an empty object, numbers sent as strings (pydantic's lax
mode), colon-less UTC offsets ("2026-10-24T17:30:00-0500"), and the auth / record-detail / i18n
answers that arrive with or without the `{success, data, meta}` envelope.

    data = parse_success("get_time_slots_for_booking", body)   # -> BookTimesData
    error = parse_error(body)                                    # -> ErrorEnvelope (codes 431-438 ...)
"""

from datetime import date
from typing import Annotated, Any, Generic, Literal, NamedTuple, TypeVar

from pydantic import AliasChoices, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, RootModel


def _php_empty(value: Any) -> Any:
    """PHP serialises an empty associative array as `[]`: read it as "no object"."""
    return None if value == [] else value


def _php_empty_map(value: Any) -> Any:
    return {} if value == [] else value


class _OrPhpEmpty:
    """In the JSON schema, what the validators above accept: PHP's `[]` for an empty object too (the
    gateway passes Altegio's answers on unchanged, so its document must allow what Altegio sends)."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"anyOf": [handler(core_schema), {"type": "array", "maxItems": 0}]}


class AltegioModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Position(AltegioModel):
    id: int
    title: str


OptionalPosition = Annotated[Position | None, BeforeValidator(_php_empty), _OrPhpEmpty]
# month "1".."12" -> days
DaysByMonth = Annotated[dict[str, list[int]], BeforeValidator(_php_empty_map), _OrPhpEmpty]


# -- envelope and errors ---------------------------------------------------------------------------
class MessageMeta(AltegioModel):
    message: str


T = TypeVar("T")


class Envelope(AltegioModel, Generic[T]):
    success: Literal[True]
    data: T
    meta: list[Any] | MessageMeta | dict[str, Any] = Field(default_factory=list)


class ErrorItem(AltegioModel):
    code: int | None = None
    message: str | None = None


class ErrorMeta(AltegioModel):
    message: str | None = None
    # An array of {code, message} (spec's 422 example) or an object keyed by field (400s).
    errors: list[ErrorItem] | dict[str, Any] | None = None


class ErrorEnvelope(AltegioModel):
    success: Literal[False]
    data: None = None
    meta: ErrorMeta | list[Any] = Field(default_factory=ErrorMeta)
    errors: dict[str, Any] | list[Any] | None = None  # a top-level `errors` (seen in community clients)

    @property
    def codes(self) -> list[int]:
        meta = self.meta if isinstance(self.meta, ErrorMeta) else ErrorMeta()
        items = meta.errors if isinstance(meta.errors, list) else []
        return [e.code for e in items if e.code is not None]


# -- booking form, strings, policy -----------------------------------------------------------------
class BookformStep(AltegioModel):
    step: str  # service | master | datetime | contact | comfirm (sic) | city | company
    title: str | None = None
    num: int | None = None
    hidden: bool = False
    default: int | str | None = None
    date_hidden: bool | None = None
    time_hidden: bool | None = None
    date_default: str | None = None
    time_default: int | None = None  # seconds from midnight
    is_title_default: bool | None = None
    category_view_type: str | None = None


class BookformLang(AltegioModel):
    id: int
    code: str
    title: str


class BookformStyle(AltegioModel):
    show_header: bool | None = None
    logo: str | None = None
    main_color: str | None = None
    secondary_color: str | None = None
    buttons_color: str | None = None
    header_background_new: dict[str, Any] | list[Any] | None = None


class BookformData(AltegioModel):
    steps: list[BookformStep]
    style: Annotated[BookformStyle | None, BeforeValidator(_php_empty), _OrPhpEmpty] = None
    group_id: int = 0
    company_id: int
    phone_confirmation: bool
    lang: str | None = Field(None, validation_alias=AliasChoices("lang", "language"))
    langs: list[BookformLang] = Field(default_factory=list)
    comment_required: bool = False
    sms_enabled: bool | None = None
    is_show_privacy_policy: bool | None = None
    specialization_display_mode: int | None = None
    id: int | None = None


I18nData = RootModel[dict[str, Any]]


class Agreement(AltegioModel):
    content: str | None = ""


class PrivacyPolicyData(AltegioModel):
    agreement: Annotated[Agreement | None, BeforeValidator(_php_empty), _OrPhpEmpty] = None


# -- catalogue -------------------------------------------------------------------------------------
class Service(AltegioModel):
    id: int
    title: str
    category_id: int
    price_min: float
    price_max: float
    discount: float = 0
    comment: str | None = ""
    weight: int = 0
    active: int | bool = 1
    gender: int | None = None
    image: str | None = None
    prepaid: str | None = None  # forbidden | allowed | required
    seance_length: int | None = None  # seconds


class Category(AltegioModel):
    id: int
    title: str
    gender: int | None = None
    weight: int = 0
    api_id: str | int | None = None


class BookServicesData(AltegioModel):
    services: list[Service]
    category: list[Category] = Field(default_factory=list)  # singular in the payload
    events: list[Any] = Field(default_factory=list)


class StaffMember(AltegioModel):
    id: int
    name: str
    specialization: str | None = ""
    position: OptionalPosition = None
    bookable: bool
    weight: int = 0
    show_rating: int | bool = 1
    rating: float = 0
    votes_count: int = 0
    comments_count: int = 0
    avatar: str | None = None
    avatar_big: str | None = None
    information: str | None = None
    seance_date: date | None = None  # only when bookable
    seances: list[Any] = Field(default_factory=list)
    schedule_till: date | None = None
    image_group: Annotated[dict[str, Any] | None, BeforeValidator(_php_empty), _OrPhpEmpty] = None


BookStaffData = RootModel[list[StaffMember]]


# -- availability ----------------------------------------------------------------------------------
class Seance(AltegioModel):
    time: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]  # location-local wall clock
    seance_length: int
    sum_length: int | None = None
    datetime: AwareDatetime  # with the location's offset; send it back verbatim


class BookStaffSeancesData(AltegioModel):
    seance_date: date | None = None
    seances: list[Seance] = Field(default_factory=list)


BookTimesData = RootModel[list[Seance]]


class BookDatesData(AltegioModel):
    booking_dates: list[date]
    booking_days: DaysByMonth = Field(default_factory=dict)  # keys have no year: prefer booking_dates
    working_dates: list[date] = Field(default_factory=list)
    working_days: DaysByMonth = Field(default_factory=dict)


# -- records ---------------------------------------------------------------------------------------
class BookRecordItem(AltegioModel):
    id: int  # the caller's appointment id
    record_id: int
    record_hash: str  # a secret: lets a guest view / cancel the record


BookRecordData = RootModel[list[BookRecordItem]]


class RecordService(AltegioModel):
    id: int
    title: str
    cost: float = 0
    price_min: float | None = None
    price_max: float | None = None
    discount: float = 0
    amount: int = 1
    seance_length: int | None = None


class Company(AltegioModel):
    id: int
    title: str
    country_id: int | None = None
    country: str | None = None
    city_id: int | None = None
    city: str | None = None
    phone: str | None = None
    phones: list[str] = Field(default_factory=list)
    timezone: str | float | None = None  # hours as a string, e.g. "-5"
    address: str | None = None
    coordinate_lat: float | None = None
    coordinate_lon: float | None = None
    allow_delete_record: bool | None = None
    allow_change_record: bool | None = None
    site: str | None = None
    currency_short_title: str | None = None
    allow_change_record_delay_step: int | None = None
    allow_delete_record_delay_step: int | None = None


class RecordStaff(AltegioModel):
    id: int
    name: str
    specialization: str | None = None
    spec: str | None = None  # PUT book_record's name for it
    position: OptionalPosition = None
    show_rating: int | bool | None = None
    rating: float | None = None
    votes_count: int | None = None
    comments_count: int | None = None
    avatar: str | None = None


class RecordData(AltegioModel):
    """A record as GET book_record/{loc}/{id}/{hash} and GET user/records return it."""

    id: int
    services: list[RecordService]
    company: Company
    staff: RecordStaff
    clients_count: int = 1
    date: str  # "2026-10-24 17:30:00" (YCLIENTS) or ISO with offset
    datetime: AwareDatetime
    create_date: AwareDatetime | None = None
    comment: str | None = ""
    deleted: bool
    # 2 confirmed, 1 came, 0 waiting, -1 no-show
    attendance: int = Field(0, validation_alias=AliasChoices("attendance", "visit_attendance"))
    length: int
    notify_by_sms: int = 0
    notify_by_email: int = 0
    master_requested: bool
    online: bool
    api_id: str | int | None = None
    last_change_date: AwareDatetime | None = None
    prepaid: bool = False
    prepaid_confirmed: bool = False
    activity_id: int = 0


class RescheduledRecordData(AltegioModel):
    """PUT book_record/{loc}/{id}: a shorter record; `staff.spec` instead of `specialization`."""

    id: int
    services: list[RecordService]
    company: Company
    staff: RecordStaff
    date: str
    create_date: str | None = None
    comment: str | None = ""
    deleted: bool
    length: int
    notify_by_sms: int = 0
    notify_by_email: int = 0
    master_requested: bool
    online: bool
    api_id: str | int | None = None


UserRecordsData = RootModel[list[RecordData]]


# -- users -----------------------------------------------------------------------------------------
class UserAuthData(AltegioModel):
    user_token: str


class BookingAuthData(AltegioModel):
    id: int
    user_token: str
    name: str | None = None
    phone: str | None = None
    login: str | None = None
    email: str | None = None
    avatar: str | None = None


class BookingUserData(BookingAuthData):
    token_copy: str | None = Field(None, alias="0")  # the spec's PHP artefact: the token again under "0"


class PasswordUpdateData(AltegioModel):
    user_token: str  # the new one; the old token stops working


# -- group events and reviews ----------------------------------------------------------------------
class EventBookData(AltegioModel):
    id: int
    hash: str


class ReviewMaster(AltegioModel):
    id: int
    name: str
    company_id: int | None = None
    specialization: str | None = None
    rating: float | None = None
    show_rating: int | None = None
    avatar: str | None = None
    prepaid: str | None = None
    position: OptionalPosition = None


class ReviewCompany(AltegioModel):
    id: int
    title: str
    logo: str | None = None
    address: str | None = None


class ReviewRecord(AltegioModel):
    id: int
    payed_cost: float | None = None
    date: AwareDatetime | None = None


class Currency(AltegioModel):
    id: int | None = None
    iso: str
    name: str | None = None
    symbol: str | None = None
    is_symbol_after_amount: bool | None = None


class ReviewFormData(AltegioModel):
    favicon_url: str | None = None
    is_review_submitted: bool
    page_title: str | None = None
    master: ReviewMaster
    company: ReviewCompany
    tips: list[Any] = Field(default_factory=list)
    record: ReviewRecord
    currency: Currency | None = None
    agreement_links: dict[str, str] | None = None
    language: dict[str, Any] | None = None


class Charge(AltegioModel):
    url: str


class ReviewSubmitData(AltegioModel):
    charge: Annotated[Charge | None, BeforeValidator(_php_empty), _OrPhpEmpty] = None


# -- the operations --------------------------------------------------------------------------------
class Operation(NamedTuple):
    method: str
    path: str  # under https://api.alteg.io/api/v1
    status: int  # the documented success status
    data: Any  # model of `data`, or None when the answer carries only `meta.message`
    unwrapped: bool = False  # the spec's example has no envelope: accept both


_REC = "/book_record/{location_id}"
_USER_REC = "/user/records/{record_id}/{record_hash}"
_REVIEW = "/master_record_review/{record_token}"
OPERATIONS: dict[str, Operation] = {
    "get_booking_form_config": Operation("GET", "/bookform/{id}", 200, BookformData),
    "get_i18n_options": Operation("GET", "/i18n/{lang_code}", 200, I18nData, unwrapped=True),
    "get_location_privacy_policy": Operation("GET", "/privacy_policy/{location_id}", 200, PrivacyPolicyData),
    "get_services_available_for_booking": Operation(
        "GET", "/book_services/{location_id}", 200, BookServicesData
    ),
    "get_team_members_available_for_booking": Operation(
        "GET", "/book_staff/{location_id}", 200, BookStaffData
    ),
    "get_nearest_time_slots": Operation(
        "GET", "/book_staff_seances/{location_id}/{team_member_id}", 200, BookStaffSeancesData
    ),
    "get_dates_available_for_booking": Operation("GET", "/book_dates/{location_id}", 200, BookDatesData),
    "get_time_slots_for_booking": Operation(
        "GET", "/book_times/{location_id}/{team_member_id}/{date}", 200, BookTimesData
    ),
    "send_booking_verification_code": Operation("POST", "/book_code/{location_id}", 201, None),
    "validate_booking_params": Operation("POST", "/book_check/{location_id}", 201, None),
    "create_online_booking": Operation("POST", _REC, 201, BookRecordData),
    "get_online_booking_details": Operation(
        "GET", _REC + "/{record_id}/{record_hash}", 200, RecordData, unwrapped=True
    ),
    "update_online_booking_datetime": Operation("PUT", _REC + "/{record_id}", 200, RescheduledRecordData),
    "book_event": Operation("POST", "/activity/{location_id}/{event_id}/book", 200, EventBookData),
    "log_in_with_phone_number_and_code": Operation("POST", "/user/auth", 201, UserAuthData, unwrapped=True),
    "authorize_online_booking_user": Operation("POST", "/booking/auth", 201, BookingAuthData, unwrapped=True),
    "get_booking_user": Operation("GET", "/booking/user/data", 200, BookingUserData, unwrapped=True),
    "update_booking_user": Operation("PUT", "/booking/user", 202, None),
    "update_booking_user_password": Operation("PUT", "/booking/user/password", 200, PasswordUpdateData),
    "send_phone_update_verification_code": Operation("GET", "/booking/user/phone_confirmation", 202, None),
    # Documented as 201 for this GET.
    "get_user_appointment_list": Operation("GET", _USER_REC, 201, UserRecordsData),
    "delete_user_appointment": Operation("DELETE", _USER_REC, 200, None),
    "get_feedback_form_status": Operation("GET", _REVIEW, 200, ReviewFormData),
    "submit_feedback_form": Operation("POST", _REVIEW, 200, ReviewSubmitData),
}


def _is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and "success" in body and ("data" in body or "meta" in body)


def parse_success(operation_id: str, body: Any) -> Any:
    """Validate a success body of one operation and return its typed `data` (None for message-only)."""
    op = OPERATIONS[operation_id]
    if op.data is None:
        Envelope[None].model_validate({"data": None, **body})
        return None
    if op.unwrapped and not _is_envelope(body):
        return op.data.model_validate(body)
    return Envelope[op.data].model_validate(body).data


def parse_error(body: Any) -> ErrorEnvelope:
    return ErrorEnvelope.model_validate(body)
