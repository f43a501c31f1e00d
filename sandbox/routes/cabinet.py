"""Sign-in (SMS code or login + password) and the client's cabinet: profile, password, records, cancel."""

from __future__ import annotations

import hmac

from .. import payloads, phones
from ..entities import User
from ..envelope import Reply, accepted, business, forbidden, invalid, not_found, ok
from .booking import find_record, hash_ok
from .context import Ctx, Route


def _user_payload(ctx: Ctx, user: User, token: str) -> dict:
    return {
        "id": user.id,
        "user_token": token,
        "name": user.name,
        "phone": user.phone,
        "login": user.login,
        "email": user.email,
        "avatar": payloads.avatar(ctx.base_url),
    }


def user_auth(ctx: Ctx) -> Reply:
    phone, code = ctx.body.get("phone"), ctx.body.get("code")
    if not phones.is_valid(phone):
        raise business(431, "Invalid phone number format")
    if not ctx.state.code_ok(phone, code):
        raise business(432, "Wrong SMS confirmation code")
    user = ctx.state.user_for_phone(phone)
    return ctx.maybe_unwrapped({"user_token": ctx.state.token_of(user)}, 201)


def booking_auth(ctx: Ctx) -> Reply:
    user = ctx.state.user_by_login(str(ctx.body.get("login") or ""))
    password = str(ctx.body.get("password") or "")
    if user is None or user.password is None or not hmac.compare_digest(user.password, password):
        raise not_found("There is no user with this login and password")
    return ctx.maybe_unwrapped(_user_payload(ctx, user, ctx.state.token_of(user)), 201)


def user_data(ctx: Ctx) -> Reply:
    user = ctx.require_user()
    # The spec's example repeats the token under the key "0" (a PHP artefact); so does the sandbox.
    return ctx.maybe_unwrapped({"0": ctx.user_token, **_user_payload(ctx, user, ctx.user_token)})


def update_user(ctx: Ctx) -> Reply:
    user = ctx.require_user()
    phone, email = ctx.body.get("phone"), ctx.body.get("email")
    new_phone = None
    if phone and phones.digits(str(phone)) != phones.digits(user.phone):
        if not phones.is_valid(phone):
            raise business(431, "Invalid phone number format")
        if not ctx.state.code_ok(phone, ctx.body.get("confirmation_code")):
            raise business(432, "Wrong SMS confirmation code")
        new_phone = phones.normalized(phone)
    if email and "@" not in str(email):
        raise invalid("Invalid email")
    with ctx.state.lock:
        if new_phone:
            # The client card behind the account changes, so the records follow the new number.
            for record in ctx.state.records_of(user):
                record.client_phone = new_phone
            user.phone = new_phone
        user.name = str(ctx.body.get("name") or user.name)
        user.email = str(email or user.email)
    return accepted("Accepted", 202)


def update_password(ctx: Ctx) -> Reply:
    user = ctx.require_user()
    old, new = str(ctx.body.get("old_password") or ""), str(ctx.body.get("new_password") or "")
    if len(new) < 6:
        raise invalid("new_password must have at least 6 characters")
    if user.password is not None and not hmac.compare_digest(user.password, old):
        raise forbidden("Wrong password")
    with ctx.state.lock:
        user.password = new
    return ok({"user_token": ctx.state.rotate_token(user)})


def phone_confirmation(ctx: Ctx) -> Reply:
    ctx.require_user()
    company_id, group_id = ctx.int_arg("company_id"), ctx.int_arg("group_id")
    if not company_id and not group_id:
        raise invalid("company_id or group_id is required")
    if company_id:
        ctx.location(company_id)
    phone = ctx.arg("phone")
    if not phones.is_valid(phone):
        raise business(431, "Invalid phone number format")
    ctx.state.send_code(phone, company_id or None)
    return accepted("Accepted", 202)


def user_records(ctx: Ctx, record_id: int, record_hash: str) -> Reply:
    if ctx.user is not None:
        records = ctx.state.records_of(ctx.user)
    else:
        record = find_record(ctx, record_id)
        if not hash_ok(record, record_hash):
            raise not_found("Appointment not found")
        records = [record]
    # Documented as 201 for this GET (both Altegio and YCLIENTS docs).
    return ok([payloads.record(r, ctx.state.world, ctx.base_url) for r in records], 201)


def cancel(ctx: Ctx, record_id: int, record_hash: str) -> Reply:
    record = find_record(ctx, record_id)
    if record.deleted:
        raise not_found("Appointment not found")
    if not hash_ok(record, record_hash) and not ctx.state.owns(ctx.user, record):
        raise forbidden() if ctx.user is not None else not_found("Appointment not found")
    loc = ctx.state.world.locations[record.location_id]
    if not loc.allow_delete_record or record.start_ts < ctx.state.now().timestamp():
        raise forbidden(
            "It is not possible to cancel this appointment online. Please contact the administrator."
        )
    if not ctx.state.cancel(record):
        raise not_found("Appointment not found")  # cancelled meanwhile by a concurrent request
    return ok(None)


ROUTES = (
    Route("log_in_with_phone_number_and_code", "POST", "/user/auth", user_auth),
    Route("authorize_online_booking_user", "POST", "/booking/auth", booking_auth),
    Route("get_booking_user", "GET", "/booking/user/data", user_data, need_user=True),
    Route("update_booking_user", "PUT", "/booking/user", update_user, need_user=True),
    Route("update_booking_user_password", "PUT", "/booking/user/password", update_password, need_user=True),
    Route(
        "send_phone_update_verification_code",
        "GET",
        "/booking/user/phone_confirmation",
        phone_confirmation,
        need_user=True,
    ),
    Route("get_user_appointment_list", "GET", "/user/records/<int:record_id>/<record_hash>", user_records),
    Route("delete_user_appointment", "DELETE", "/user/records/<int:record_id>/<record_hash>", cancel),
)
