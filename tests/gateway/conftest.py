"""In-process harness for the gateway's read path: handlers called with REST proxy events, DynamoDB and
Secrets Manager from moto's mock_aws (tables and secret built from template.yaml), Altegio = the sandbox.

    def test_x(gateway):
        answer = gateway.get("/book_times/101/0/2026-12-01?service_ids[]=10011")
        answer.status, answer.headers["x-cache"], answer.json()
        gateway.upstream()        # the sandbox's ledger since the test began
        gateway.cache_items()     # raw cache items (low-level format)

Through-the-local-stack tests use the top-level `local_stack` fixture instead. Helpers: gw_kit.py.
"""

from __future__ import annotations

import pytest
from gw_kit import READ_FUNCTIONS, Gateway, make_moto_dynamodb_atomic, provision, reset_layer, template
from moto import mock_aws


@pytest.fixture(scope="session", autouse=True)
def _atomic_moto():
    make_moto_dynamodb_atomic()


@pytest.fixture(scope="session")
def sandbox():
    from sandbox import Sandbox, SandboxConfig

    sb = Sandbox(SandboxConfig(rate_limit=False, log_requests=False)).start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def gateway(sandbox, monkeypatch, request):
    """A fresh gateway: empty cache and budget (mock_aws), the template's environment, a reset sandbox.
    Mark a test with @pytest.mark.gw_env(NAME=value, ...) to override environment variables."""
    tpl = template()
    env = tpl.environment(list(READ_FUNCTIONS.values()))
    env.update(ALTEGIO_BASE_URL=sandbox.api_base, BUDGET_WAIT_SECONDS="6")
    marker = request.node.get_closest_marker("gw_env")
    env.update(marker.kwargs if marker else {})
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    sandbox.reset(config=True)
    sandbox.configure(rate_limit=False)
    with mock_aws():
        provision(tpl)
        reset_layer()
        try:
            yield Gateway(sandbox, tpl)
        finally:
            reset_layer()
    sandbox.reset(config=True)
    sandbox.configure(rate_limit=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "gw_env(**env): environment overrides for the `gateway` fixture")
