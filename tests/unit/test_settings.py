"""settings.py: the environment validated once per container, at init; Altegio's limits are never exceeded
whatever is set; a missing or malformed variable fails the function's start, naming the variable."""

from __future__ import annotations

import pytest
from booking_gateway import container
from booking_gateway.settings import SettingsError, get_settings


def test_defaults(settings_env, monkeypatch):
    optional = ("ALTEGIO_BASE_URL", "IDEMPOTENCY_TABLE", "ALLOWED_LOCATION_IDS", "ALLOWED_ORIGIN")
    optional += ("UPSTREAM_PER_SECOND", "UPSTREAM_PER_MINUTE", "UPSTREAM_CONNECT_TIMEOUT")
    optional += (
        "UPSTREAM_READ_TIMEOUT",
        "UPSTREAM_WRITE_TIMEOUT",
        "BUDGET_WAIT_SECONDS",
        "UPSTREAM_CALL_TIME_LIMIT",
    )
    for name in optional:
        monkeypatch.delenv(name, raising=False)
    settings_env()
    s = get_settings()
    assert s.altegio_base_url == "https://api.alteg.io/api/v1"
    assert (s.upstream_per_second, s.upstream_per_minute) == (4, 180)
    assert s.allowed_location_ids == frozenset() and s.idempotency_table == "" and s.allowed_origin == ""
    assert (s.connect_timeout, s.read_timeout, s.write_read_timeout) == (2, 5, 8)
    assert (s.budget_wait_seconds, s.call_time_limit) == (6, 11)


def test_limits_are_capped_at_altegios(settings_env):
    settings_env(UPSTREAM_PER_SECOND=50, UPSTREAM_PER_MINUTE=1000)
    assert (get_settings().upstream_per_second, get_settings().upstream_per_minute) == (5, 200)


def test_values_are_parsed(settings_env):
    settings_env(
        ALTEGIO_BASE_URL="http://127.0.0.1:9/api/v1/",
        ALLOWED_LOCATION_IDS=" 101,202 ,,",
        UPSTREAM_READ_TIMEOUT="0.5",
    )
    s = get_settings()
    assert s.altegio_base_url == "http://127.0.0.1:9/api/v1"
    assert s.allowed_location_ids == {101, 202} and s.read_timeout == 0.5


def test_read_once_until_the_container_is_reset(settings_env, monkeypatch):
    settings_env(UPSTREAM_PER_SECOND=2)
    first = get_settings()
    monkeypatch.setenv("UPSTREAM_PER_SECOND", "3")
    assert get_settings() is first  # per container, as in Lambda
    container.reset()
    assert get_settings().upstream_per_second == 3


def test_abuse_limits_default_and_parse(settings_env, monkeypatch):
    for name in (
        "ALLOWED_BOOKFORM_IDS",
        "CODE_PHONE_INTERVAL_SECONDS",
        "CODE_PHONE_PER_HOUR",
        "CODE_VISITOR_PER_HOUR",
        "WRONG_CODE_LIMIT",
        "WRONG_CODE_VISITOR_LIMIT",
        "WRONG_CODE_WINDOW_SECONDS",
        "LOCKOUT_SECONDS",
        "CALLER_READ_SHARE",
        "CALLER_READ_SHARE_ALONE",
    ):
        monkeypatch.delenv(name, raising=False)
    settings_env()
    s = get_settings()
    assert (s.code_phone_interval, s.code_phone_per_hour, s.code_visitor_per_hour) == (60, 5, 10)
    assert (s.wrong_code_limit, s.wrong_code_visitor_limit, s.wrong_code_window, s.lockout_seconds) == (
        5,
        10,
        900,
        900,
    )
    assert s.allowed_bookform_ids == frozenset() and (s.caller_read_share, s.caller_read_share_alone) == (
        0.5,
        0.85,
    )
    settings_env(
        ALLOWED_BOOKFORM_IDS="1, 2,", CODE_PHONE_PER_HOUR=0, CALLER_READ_SHARE=7, CALLER_READ_SHARE_ALONE=0
    )
    s = get_settings()
    assert s.allowed_bookform_ids == {1, 2} and s.code_phone_per_hour == 1
    assert (s.caller_read_share, s.caller_read_share_alone) == (1.0, 0.05)  # kept within sense


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CACHE_TABLE", None, "CACHE_TABLE: missing"),
        ("BUDGET_TABLE", "", "BUDGET_TABLE: String should have at least 1 character"),
        ("PARTNER_SECRET_ID", None, "PARTNER_SECRET_ID: missing"),
        ("UPSTREAM_PER_SECOND", "four", "UPSTREAM_PER_SECOND: Input should be a valid integer"),
        ("UPSTREAM_PER_MINUTE", "0", "UPSTREAM_PER_MINUTE: Input should be greater than or equal to 1"),
        ("ALLOWED_LOCATION_IDS", "101;202", "ALLOWED_LOCATION_IDS.0: Input should be a valid integer"),
        ("UPSTREAM_READ_TIMEOUT", "5s", "UPSTREAM_READ_TIMEOUT: Input should be a valid number"),
        ("UPSTREAM_CALL_TIME_LIMIT", "-1", "UPSTREAM_CALL_TIME_LIMIT: Input should be greater than 0"),
    ],
)
def test_a_missing_or_malformed_variable_is_named(monkeypatch, variable, value, says):
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as failed:
        get_settings()
    assert says in str(failed.value)


@pytest.mark.parametrize(("variable", "value"), [("CACHE_TABLE", None), ("UPSTREAM_PER_SECOND", "four")])
def test_a_function_with_a_bad_environment_fails_at_init_naming_the_variable(
    monkeypatch, load_function, variable, value
):
    """The handler's import (Lambda's init) fails, as `sam local invoke` or Lambda would report it, and
    the local stack reports it the same way, before any request is handled."""
    from devstack.runtime import FunctionError, FunctionPool
    from devstack.template import load

    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_function("book_record")
    container.reset()
    template = load(parameters={"PageApiKeyValue": "unit-page-api-key-0123456789"})
    pool = FunctionPool(template.functions["BookTimesFunction"], max_instances=1)
    with pytest.raises(FunctionError) as failed:
        pool.invoke({"path": "/api/v1/book_times/101/0/2026-12-01", "httpMethod": "GET"})
    assert failed.value.error_type == "Runtime.ImportModuleError" and variable in failed.value.message
    assert pool.cold_starts == 0
