"""SMS code, check, create, view and reschedule: the writes of online booking."""

from __future__ import annotations

import hmac

from .. import payloads, phones
from ..entities import Location, Record
from ..envelope import ApiError, Reply, accepted, business, forbidden, invalid, not_found, ok
from .context import Ctx, Route


def _appointments(ctx: Ctx) -> list:
    appointments = ctx.body.get("appointments")
    if not isinstance(appointments, list) or not appointments:
        raise invalid("appointments must be a non-empty array")
    return appointments


def _rejected(errors: list[dict]) -> ApiError:
    return ApiError(422, "An error has occurred", errors)


def check_client(ctx: Ctx, loc: Location) -> tuple[str, str]:
    """Name (435), phone format (431), blacklist (434, HTTP 403), SMS code (432): in that order."""
    name = str(ctx.body.get("fullname") or "").strip()
    if not name:
        raise business(435, "Client name is required")
    phone = ctx.body.get("phone")
    if not phones.is_valid(phone):
        raise business(431, "Invalid phone number format")
    if phones.digits(phone) in ctx.state.world.blacklist:
        raise business(434, "This client is blacklisted and cannot book online", status=403)
    if ctx.state.world.phone_confirmation(loc.id) and not ctx.state.code_ok(phone, ctx.body.get("code")):
        raise business(432, "Wrong SMS confirmation code")
    return name, phones.normalized(phone)


def client_fields(ctx: Ctx, name: str, phone: str) -> dict:
    def hours(key: str) -> int:
        value = ctx.body.get(key)
        return int(value) if str(value).isdigit() else 0

    return {
        "client_name": name,
        "client_phone": phone,
        "client_email": str(ctx.body.get("email") or ""),
        "comment": str(ctx.body.get("comment") or ""),
        "api_id": str(ctx.body.get("api_id") or ""),
        "notify_by_sms": hours("notify_by_sms"),
        "notify_by_email": hours("notify_by_email"),
        "online": True,
    }


def find_record(ctx: Ctx, record_id: int, location_id: int | None = None) -> Record:
    record = ctx.state.records.get(record_id)
    if record is None or (location_id is not None and record.location_id != location_id):
        raise not_found("Appointment not found")
    return record


def hash_ok(record: Record, record_hash: str) -> bool:
    return hmac.compare_digest(record.hash.encode(), record_hash.encode())


def book_code(ctx: Ctx, location_id: int) -> Reply:
    loc = ctx.location(location_id)
    phone = ctx.body.get("phone")
    if not phones.is_valid(phone):
        raise business(431, "Invalid phone number format")
    ctx.state.send_code(phone, loc.id)
    return accepted("Created", 201)


def book_check(ctx: Ctx, location_id: int) -> Reply:
    loc = ctx.location(location_id)
    errors = ctx.state.check(loc, _appointments(ctx))
    if errors:
        raise _rejected(errors)
    return accepted("Created", 201)


def book_record(ctx: Ctx, location_id: int) -> Reply:
    loc = ctx.location(location_id)
    name, phone = check_client(ctx, loc)
    errors, created = ctx.state.book(loc, _appointments(ctx), client_fields(ctx, name, phone))
    if errors:
        raise _rejected(errors)
    return ok([{"id": appt_id, "record_id": r.id, "record_hash": r.hash} for appt_id, r in created], 201)


def view_record(ctx: Ctx, location_id: int, record_id: int, record_hash: str) -> Reply:
    ctx.location(location_id)
    record = find_record(ctx, record_id, location_id)
    if not (hash_ok(record, record_hash) or ctx.state.owns(ctx.user, record)):
        raise not_found("Appointment not found")
    return ctx.maybe_unwrapped(payloads.record(record, ctx.state.world, ctx.base_url))


def reschedule(ctx: Ctx, location_id: int, record_id: int) -> Reply:
    loc = ctx.location(location_id)
    record = find_record(ctx, record_id, location_id)
    if record.deleted:
        raise not_found("Appointment not found")
    if not ctx.state.owns(ctx.require_user(), record) or not loc.allow_change_record:
        raise forbidden()
    when = ctx.body.get("datetime")
    if not when:
        raise invalid("datetime is required")
    errors = ctx.state.reschedule(record, str(when), ctx.body.get("comment"))
    if errors:
        raise _rejected(errors)
    return ok(payloads.rescheduled(record, ctx.state.world, ctx.base_url))


ROUTES = (
    Route("send_booking_verification_code", "POST", "/book_code/<int:location_id>", book_code),
    Route("validate_booking_params", "POST", "/book_check/<int:location_id>", book_check),
    Route("create_online_booking", "POST", "/book_record/<int:location_id>", book_record),
    Route(
        "get_online_booking_details",
        "GET",
        "/book_record/<int:location_id>/<int:record_id>/<record_hash>",
        view_record,
    ),
    Route(
        "update_online_booking_datetime",
        "PUT",
        "/book_record/<int:location_id>/<int:record_id>",
        reschedule,
        need_user=True,
    ),
)
