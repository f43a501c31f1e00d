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
