"""Fixtures for the read-path suites."""

from __future__ import annotations

import pytest
from rd_kit import http


@pytest.fixture
def gw(local_stack):
    """GET through the local gateway with the stack's API key, on a clean sandbox and cache."""
    local_stack.reset()
    return lambda path, **kw: http(local_stack.api_base, path, local_stack.api_key, **kw)


@pytest.fixture
def upstream(local_stack):
    """GET straight from the sandbox, as the gateway would (partner token)."""
    auth = {"Authorization": "Bearer sandbox-partner-token"}
    return lambda path: http(local_stack.sandbox.api_base, path, None, headers=auth)
