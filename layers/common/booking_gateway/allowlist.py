"""Only the locations and booking forms the deployment serves reach Altegio or the cache."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from .settings import get_settings


def is_allowed(location_id: int) -> bool:
    return location_id in get_settings().allowed_location_ids


def require_location(location_id: int) -> None:
    if not is_allowed(location_id):
        raise NotFoundError(f"Location {location_id} not found")


def require_bookform(form_id: int) -> None:
    """Booking forms too: a random id must not spend the shared upstream budget (AllowedBookformIds)."""
    if form_id not in get_settings().allowed_bookform_ids:
        raise NotFoundError(f"Booking form {form_id} not found")
