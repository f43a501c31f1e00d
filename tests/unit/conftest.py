"""The unit tier: the layer's logic (layers/common/booking_gateway), one test module per layer module.

No local stack, no moto server, no network. Where a DynamoDB call cannot be avoided, `ddb` gives moto's
in-process mock_aws with the cache and budget tables (key `pk`, as in template.yaml). Time-dependent
tests take the top-level `clock` fixture (the layer's seam, pinned; tests/clock_kit.py).
"""

from __future__ import annotations

import pytest
from booking_gateway import container
from moto import mock_aws

CACHE_TABLE, BUDGET_TABLE = "UnitCacheTable", "UnitBudgetTable"
# What the settings require (template.yaml sets them for every function); tests set the rest they need.
REQUIRED_ENV = {"CACHE_TABLE": CACHE_TABLE, "BUDGET_TABLE": BUDGET_TABLE, "PARTNER_SECRET_ID": "unit/partner"}


@pytest.fixture(autouse=True)
def _clean_layer(monkeypatch):
    """Each test starts from, and leaves, a fresh container (settings, clients, masked values, the
    fallback limiter): any order gives the same result."""
    for name, value in REQUIRED_ENV.items():
        monkeypatch.setenv(name, value)
    container.reset()
    yield
    container.reset()


@pytest.fixture
def settings_env(monkeypatch):
    """Set environment variables the layer's settings read, as a new container would see them."""

    def setenv(**values: object) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, str(value))
        container.reset()

    return setenv


@pytest.fixture
def ddb(settings_env):
    """moto's mock_aws with the cache and budget tables; yields the layer's low-level client."""
    settings_env(CACHE_TABLE=CACHE_TABLE, BUDGET_TABLE=BUDGET_TABLE, ALLOWED_LOCATION_IDS="101,202")
    with mock_aws():
        from booking_gateway import dynamo

        container.reset()  # clients made inside the mock
        client = dynamo.client()
        for name in (CACHE_TABLE, BUDGET_TABLE):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield client
        container.reset()
