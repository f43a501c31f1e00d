"""Group events and the review / tips form."""

from __future__ import annotations

from .. import payloads
from ..envelope import Reply, invalid, not_found, ok
from .booking import check_client, client_fields
from .catalog import member_of
from .context import Ctx, Route

CURRENCIES = {"EUR": (2, "Euro", "€", True), "USD": (1, "US Dollar", "$", False)}


def book_event(ctx: Ctx, location_id: int, event_id: int) -> Reply:
    loc = ctx.location(location_id)
    activity = ctx.state.world.activities.get(event_id)
    if activity is None or activity.location_id != loc.id:
        raise not_found("Event not found")
    if not all(str(ctx.body.get(k) or "").strip() for k in ("fullname", "phone", "email")):
        raise invalid("fullname, phone and email are required")
    name, phone = check_client(ctx, loc)
    if activity.start.timestamp() < ctx.state.now().timestamp():
        raise invalid("The event has already started")
    seats = ctx.body.get("clients_count") or 1
    record = ctx.state.book_activity(
        activity, int(seats) if str(seats).isdigit() else 0, client_fields(ctx, name, phone)
    )
    if record is None:
        raise invalid("Not enough places left")
    return ok({"id": record.id, "hash": record.hash})


def _review_record(ctx: Ctx, record_token: str):
    record = ctx.state.record_by_review_token(record_token)
    if record is None:
        raise not_found("Appointment not found")
    return record


def review_form(ctx: Ctx, record_token: str) -> Reply:
    record = _review_record(ctx, record_token)
    world = ctx.state.world
    loc, member = world.locations[record.location_id], member_of(ctx, record.location_id, record.staff_id)
    currency_id, currency_name, symbol, after = CURRENCIES[loc.currency]
    return ok(
        {
            "favicon_url": ctx.base_url + "favicon.ico",
            "is_review_submitted": record.review_submitted,
            "page_title": "Leave feedback",
            "master": {
                "id": member.id,
                "name": member.name,
                "company_id": loc.id,
                "specialization": member.specialization,
                "rating": member.rating,
                "show_rating": 1,
                "avatar": payloads.avatar(ctx.base_url, member.id),
                "prepaid": "forbidden",
                "position": payloads.position(member),
            },
            "company": {"id": loc.id, "title": loc.title, "logo": "", "address": loc.address},
            "tips": [],
            "record": {
                "id": record.id,
                "payed_cost": sum(world.services[s].price_min for s in record.service_ids),
                "date": payloads.iso_compact(record.start),
            },
            "currency": {
                "id": currency_id,
                "iso": loc.currency,
                "name": currency_name,
                "symbol": symbol,
                "is_symbol_after_amount": after,
            },
            "agreement_links": {
                "terms_of_use": loc.site + "/terms",
                "confidentiality_agreement": loc.site + "/privacy",
            },
            "language": {"id": 1, "locale": "en-US", "iso": "eng"},
        }
    )


def submit_review(ctx: Ctx, record_token: str) -> Reply:
    record = _review_record(ctx, record_token)
    rating = ctx.body.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise invalid("rating must be a whole number from 1 to 5")
    try:
        tips = float(ctx.body.get("tips_amount") or 0)
    except (TypeError, ValueError):
        tips = -1.0
    if tips < 0:
        raise invalid("tips_amount must be a positive number")
    with ctx.state.lock:
        if record.review_submitted:
            raise invalid("Feedback has already been sent")
        record.review_submitted = True
    charge = {"url": f"https://pay.sandbox.example/tips/{record.id}?amount={tips:.2f}"} if tips else None
    return ok({"charge": charge})


ROUTES = (
    Route("book_event", "POST", "/activity/<int:location_id>/<int:event_id>/book", book_event),
    Route("get_feedback_form_status", "GET", "/master_record_review/<record_token>", review_form),
    Route("submit_feedback_form", "POST", "/master_record_review/<record_token>", submit_review),
)
