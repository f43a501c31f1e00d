"""Only the locations the deployment serves reach Altegio or the cache."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from .settings import get_settings


def is_allowed(location_id: int) -> bool:
    return location_id in get_settings().allowed_location_ids


def require_location(location_id: int) -> None:
    if not is_allowed(location_id):
        raise NotFoundError(f"Location {location_id} not found")
