"""All 24 operations of Altegio's Online Booking API, at Altegio's paths under /api/v1, and the one
company setting the sandbox plays from Altegio's REST API (B2B): hooks_settings."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from . import booking, cabinet, catalog, extras, forms, hooks, slots
from .context import Ctx, Route

API_PREFIX = "/api/v1"
ROUTES: tuple[Route, ...] = (
    forms.ROUTES + catalog.ROUTES + slots.ROUTES + booking.ROUTES + cabinet.ROUTES + extras.ROUTES
)
B2B_ROUTES: tuple[Route, ...] = hooks.ROUTES
BY_NAME = {r.name: r for r in ROUTES + B2B_ROUTES}


def url_map() -> Map:
    # Trailing slashes are stripped before matching (YCLIENTS documents some paths with one).
    return Map(
        [Rule(API_PREFIX + r.path, endpoint=r.name, methods=[r.method]) for r in ROUTES + B2B_ROUTES],
        strict_slashes=False,
        merge_slashes=False,
    )


__all__ = ["API_PREFIX", "B2B_ROUTES", "BY_NAME", "ROUTES", "Ctx", "Route", "url_map"]
