"""The unit tier: the layer's logic (layers/common/booking_gateway), one test module per layer module.

No local stack, no moto server, no network. Where a DynamoDB call cannot be avoided, `ddb` gives moto's
in-process mock_aws with the cache and budget tables (key `pk`, as in template.yaml). Time-dependent
tests take the top-level `clock` fixture (the layer's seam, pinned; tests/clock_kit.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from moto import mock_aws

from devstack.runtime import layer_packages, reset_lambda_caches

LAYER = Path(__file__).resolve().parents[2] / "layers" / "common"
CACHE_TABLE, BUDGET_TABLE = "UnitCacheTable", "UnitBudgetTable"


def _forget_layer_state() -> None:
    # Settings, clients, masked values and the fallback limiter are kept per process, across tests.
    reset_lambda_caches(layer_packages([LAYER]))
    masking = sys.modules.get("booking_gateway.masking")
    if masking is not None:
        masking.clear_secrets()
    budget = sys.modules.get("booking_gateway.budget")
    if budget is not None:  # the fallback limiter's calls and Altegio's pause: not a functools cache
        budget._local = budget._LocalLimiter()


@pytest.fixture(autouse=True)
def _clean_layer():
    """Each test starts from, and leaves, a layer with nothing cached: any order gives the same result."""
    _forget_layer_state()
    yield
    _forget_layer_state()


@pytest.fixture
def settings_env(monkeypatch):
    """Set environment variables the layer's settings read, with the settings cache cleared."""
    from booking_gateway.settings import get_settings

    def setenv(**values: object) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, str(value))
        get_settings.cache_clear()

    return setenv


@pytest.fixture
def ddb(settings_env):
    """moto's mock_aws with the cache and budget tables; yields the layer's low-level client."""
    settings_env(CACHE_TABLE=CACHE_TABLE, BUDGET_TABLE=BUDGET_TABLE, ALLOWED_LOCATION_IDS="101,202")
    with mock_aws():
        from booking_gateway import dynamo

        _forget_layer_state()  # clients made inside the mock
        client = dynamo.client()
        for name in (CACHE_TABLE, BUDGET_TABLE):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield client
        _forget_layer_state()
