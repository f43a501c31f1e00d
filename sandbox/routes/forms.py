"""Booking-form settings, widget strings and the privacy policy."""

from __future__ import annotations

from .. import payloads
from ..envelope import Reply, not_found, ok
from ..i18n_strings import STRINGS
from .context import Ctx, Route


def bookform(ctx: Ctx, form_id: int) -> Reply:
    form = ctx.state.world.bookforms.get(form_id)
    if form is None:
        raise not_found("Booking form not found")
    return ok(payloads.bookform(form, ctx.state.world))


def i18n(ctx: Ctx, lang_code: str) -> Reply:
    strings = STRINGS.get(lang_code)
    if strings is None:
        raise not_found("Language not found")
    return ctx.maybe_unwrapped(strings)


def privacy_policy(ctx: Ctx, location_id: int) -> Reply:
    loc = ctx.location(location_id)
    if loc.privacy_policy is None and ctx.state.config.privacy_missing_404:
        raise not_found("Privacy policy not found")
    return ok({"agreement": {"content": loc.privacy_policy or ""}})


ROUTES = (
    Route("get_booking_form_config", "GET", "/bookform/<int:form_id>", bookform),
    Route("get_i18n_options", "GET", "/i18n/<lang_code>", i18n),
    Route("get_location_privacy_policy", "GET", "/privacy_policy/<int:location_id>", privacy_policy),
)
