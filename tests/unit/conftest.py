"""The unit tier: the layer's logic (layers/common/booking_gateway), one test module per layer module.

No local stack, no moto server, no network. Where a DynamoDB call cannot be avoided, `ddb` gives moto's
in-process mock_aws with the cache and budget tables (key `pk`, as in template.yaml). Time-dependent
tests take the top-level `clock` fixture (the layer's seam, pinned; tests/clock_kit.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[2]
# A Lambda container's environment (template.yaml's Globals and what Lambda adds), no AWS reachable.
COLD_START_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "unit",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "unit",
    "AWS_SECRET_ACCESS_KEY": "unit",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    "POWERTOOLS_TRACE_DISABLED": "true",
    **REQUIRED_ENV,
}


@pytest.fixture
def cold_start_modules():
    """modules(code, env=None, function="book_times"): the modules a fresh interpreter holds after running
    `code` in that function's folder, as Lambda starts it (this process has imported everything)."""

    def modules(code: str, env: dict[str, str] | None = None, function: str = "book_times") -> set[str]:
        folder = ROOT / "functions" / function
        dropped = ("AWS_", "POWERTOOLS_", "LAMBDA_", "GATEWAY_")
        keep = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
        layer = ROOT / "layers" / "common"
        full = {**keep, **COLD_START_ENV, **(env or {}), "PYTHONPATH": f"{folder}{os.pathsep}{layer}"}
        code += "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=folder, env=full, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return set(json.loads(done.stdout.strip().splitlines()[-1]))

    return modules
