"""read_params.py: canonical values and queries (one cache entry per request), date ranges, unknown
parameters. Through the handlers (422 naming the parameter): tests/gateway/test_gw_validation.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from booking_gateway import read_params


def test_the_query_is_sorted_de_duplicated_and_leaves_out_what_was_not_given():
    assert read_params.build_query([3, 1, 3], staff_id=0, datetime=None, date="2026-12-01") == [
        ("service_ids[]", "1"),
        ("service_ids[]", "3"),
        ("date", "2026-12-01"),
        ("staff_id", "0"),
    ]
    assert read_params.build_query() == []


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("2026-12-01T10:00:00+02:00", "2026-12-01T10:00:00+02:00"),
        ("2026-12-01T10:00+02:00", "2026-12-01T10:00:00+02:00"),
        ("1796400000", "1796400000"),  # Unix time as given
    ],
)
def test_datetimes_are_canonical(value, canonical):
    assert read_params._datetime(value) == canonical


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01"])
def test_dates_must_exist(bad):
    with pytest.raises(ValueError):
        read_params._iso_date(bad)


def failing_parameter(call) -> str:
    with pytest.raises(RequestValidationError) as info:
        call()
    return info.value.errors()[0]["loc"][1]


@pytest.mark.parametrize(
    ("date_from", "date_to", "parameter"),
    [
        ("2026-12-01", None, "date_to"),
        (None, "2026-12-01", "date_from"),
        ("2026-12-10", "2026-12-01", "date_to"),
        ("2026-01-01", "2026-12-31", "date_to"),
    ],
)
def test_date_ranges_go_together_forwards_and_at_most_93_days(date_from, date_to, parameter):
    assert failing_parameter(lambda: read_params.check_date_range(date_from, date_to)) == parameter


def test_a_range_of_93_days_or_none_passes():
    read_params.check_date_range("2026-12-01", "2027-03-04")
    read_params.check_date_range(None, None)


def app_with(query: dict[str, list[str]] | None):
    return SimpleNamespace(current_event=SimpleNamespace(multi_value_query_string_parameters=query))


def test_unknown_or_repeated_parameters_are_refused_except_service_ids():
    read_params.reject_unknown(
        app_with({"service_ids[]": ["1", "2"], "staff_id": ["1"]}), "service_ids[]", "staff_id"
    )
    read_params.reject_unknown(app_with(None))
    assert (
        failing_parameter(lambda: read_params.reject_unknown(app_with({"utm": ["x"]}), "staff_id")) == "utm"
    )
    repeated = app_with({"staff_id": ["1", "2"]})
    assert failing_parameter(lambda: read_params.reject_unknown(repeated, "staff_id")) == "staff_id"
