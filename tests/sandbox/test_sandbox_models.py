"""The payload models accept the variants Altegio is documented to send, not just the sandbox's."""

import pytest
from booking_gateway import upstream_models as um
from pydantic import ValidationError

from sandbox.routes import ROUTES


def test_every_operation_has_a_model_and_a_sandbox_route():
    assert len(um.OPERATIONS) == 24
    assert {r.name for r in ROUTES} == set(um.OPERATIONS)
    for route in ROUTES:
        assert route.method == um.OPERATIONS[route.name].method


def test_php_empty_objects_strings_for_numbers_and_colonless_offsets():
    staff = um.parse_success(
        "get_team_members_available_for_booking",
        {
            "success": True,
            "meta": [],
            "data": [
                {
                    "id": "16",
                    "name": "James",
                    "bookable": True,
                    "position": [],
                    "rating": "4.5",
                    "image_group": [],
                }
            ],
        },
    )
    assert staff.root[0].id == 16 and staff.root[0].position is None and staff.root[0].rating == 4.5
    dates = um.parse_success(
        "get_dates_available_for_booking",
        {
            "success": True,
            "meta": [],
            "data": {
                "booking_dates": [],
                "booking_days": [],
                "working_dates": ["2026-09-04"],
                "working_days": {"9": ["4"]},
            },
        },
    )
    assert dates.booking_days == {} and dates.working_days == {"9": [4]}
    slot = um.Seance.model_validate(
        {"time": "17:30", "seance_length": 3600, "datetime": "2026-10-24T17:30:00-0500"}
    )
    assert slot.datetime.utcoffset().total_seconds() == -5 * 3600


def test_envelope_variants():
    assert um.parse_success("log_in_with_phone_number_and_code", {"user_token": "t"}).user_token == "t"
    wrapped = {"success": True, "data": {"user_token": "t"}, "meta": []}
    assert um.parse_success("log_in_with_phone_number_and_code", wrapped).user_token == "t"
    assert (
        um.parse_success("send_booking_verification_code", {"success": True, "meta": {"message": "Created"}})
        is None
    )
    with pytest.raises(ValidationError):  # a booking list must be wrapped
        um.parse_success("create_online_booking", [{"id": 1, "record_id": 2, "record_hash": "h"}])


def test_error_shapes():
    spec = {
        "success": False,
        "data": None,
        "meta": {
            "message": "An error has occurred",
            "errors": [{"code": 433, "message": "taken"}, {"code": 437, "message": "overlap"}],
        },
    }
    assert um.parse_error(spec).codes == [433, 437]
    by_field = um.parse_error({"success": False, "data": None, "meta": {"errors": {"filters": ["bad"]}}})
    assert by_field.codes == []
    assert um.parse_error({"success": False, "data": None, "meta": []}).codes == []
    with pytest.raises(ValidationError):
        um.parse_error({"success": True, "data": None, "meta": []})
