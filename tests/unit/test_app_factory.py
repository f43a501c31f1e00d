"""app_factory.py: what a function's init (its resolver, built by make_app) loads, in a fresh interpreter."""

from __future__ import annotations

import pytest

# Each costs a cold start 20-150 ms and no first request of these functions needs it.
NOT_AT_INIT = ("boto3", "booking_gateway.upstream_models", "aws_xray_sdk", "sqlite3")


@pytest.mark.parametrize("function", ["book_times", "book_services", "book_record", "book_code", "openapi"])
def test_init_loads_nothing_the_first_request_does_not_need(cold_start_modules, function):
    modules = cold_start_modules("import app", function=function)
    assert "booking_gateway.app_factory" in modules
    assert [m for m in NOT_AT_INIT if m in modules] == []
