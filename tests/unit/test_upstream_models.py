"""upstream_models.py: the document describes what Altegio really sends (the gateway passes it on)."""

from __future__ import annotations

import pytest
from booking_gateway.upstream_models import BookDatesData, StaffMember
from jsonschema import Draft202012Validator


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (BookDatesData, {"booking_days": [], "working_days": [], "booking_dates": []}),
        (StaffMember, {"id": 1, "name": "Anna", "bookable": True, "position": [], "image_group": []}),
    ],
)
def test_phps_empty_array_for_an_empty_object_is_valid_in_the_schema_and_the_model(model, payload):
    """Found by the long contract run: `[]` where the schema said object (PHP's empty associative array)."""
    Draft202012Validator(model.model_json_schema(mode="serialization")).validate(payload)
    model.model_validate(payload)
