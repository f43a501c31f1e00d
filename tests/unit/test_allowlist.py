"""allowlist.py: only the deployment's locations pass; others are a 404 naming the location."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from booking_gateway import allowlist


def test_only_listed_locations_are_allowed(settings_env):
    settings_env(ALLOWED_LOCATION_IDS="101, 202,")
    assert allowlist.is_allowed(101) and allowlist.is_allowed(202)
    assert not allowlist.is_allowed(303)
    allowlist.require_location(202)
    with pytest.raises(NotFoundError, match="^Location 303 not found$"):
        allowlist.require_location(303)


def test_no_list_allows_nothing(settings_env):
    settings_env(ALLOWED_LOCATION_IDS="")
    assert not allowlist.is_allowed(101)
