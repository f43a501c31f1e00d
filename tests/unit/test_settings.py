"""settings.py: read once from the environment; Altegio's limits are never exceeded whatever is set."""

from __future__ import annotations

from booking_gateway.settings import get_settings


def test_defaults(settings_env, monkeypatch):
    for name in ("ALTEGIO_BASE_URL", "UPSTREAM_PER_SECOND", "UPSTREAM_PER_MINUTE", "ALLOWED_LOCATION_IDS"):
        monkeypatch.delenv(name, raising=False)
    settings_env()
    s = get_settings()
    assert s.altegio_base_url == "https://api.alteg.io/api/v1"
    assert (s.upstream_per_second, s.upstream_per_minute) == (4, 180)
    assert s.allowed_location_ids == frozenset()


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


def test_read_once_until_the_cache_is_cleared(settings_env, monkeypatch):
    settings_env(UPSTREAM_PER_SECOND=2)
    first = get_settings()
    monkeypatch.setenv("UPSTREAM_PER_SECOND", "3")
    assert get_settings() is first  # per container, as in Lambda
    get_settings.cache_clear()
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
