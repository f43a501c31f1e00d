"""Fixtures for the sandbox suite: one in-process sandbox for the session, reset (state, ledger and
knobs) before every test, and an Altegio client that validates each answer with the payload models."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT / "layers" / "common", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from sandbox_testkit import AltegioClient  # noqa: E402

from sandbox import Sandbox, SandboxConfig  # noqa: E402


@pytest.fixture(scope="session")
def sandbox_server():
    # TEST_NOW (date matrix): pinned like the local stack's sandbox (tests/conftest.py)
    config = SandboxConfig(rate_limit=False, log_requests=True, now=os.environ.get("TEST_NOW") or None)
    with Sandbox(config) as sb:
        yield sb


@pytest.fixture
def sb(sandbox_server):
    return sandbox_server.reset(config=True)


@pytest.fixture
def api(sb):
    return AltegioClient(sb.api_base)
