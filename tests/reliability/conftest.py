"""Fixtures of the reliability suite (issue 8); the harness itself is in rel_kit.py.

- `rel` (session): the shared `local_stack` (tests/conftest.py) with helpers (rel_kit.Rel).
- `fresh`: the sandbox back to its demo data and default knobs, the tables emptied (cold cache, budget).
- `demo`: demo data straight from the sandbox (rel_ops.Demo), on a fresh stack.
- rel_kit.WATCH is installed when this file is imported, so it sees the WHOLE session (every suite).
"""

from __future__ import annotations

import pytest
from rel_kit import WATCH, Rel
from rel_ops import Demo

WATCH.install()


def pytest_collection_modifyitems(session, config, items):
    """The secret scan looks at the whole run: it goes last."""
    last = [i for i in items if i.nodeid.endswith("test_rel_secrets.py::test_nothing_secret_leaked_anywhere")]
    for item in last:
        items.remove(item)
        items.append(item)


@pytest.fixture(scope="session")
def rel(local_stack) -> Rel:
    WATCH.hook_powertools()
    return Rel(local_stack)


@pytest.fixture
def fresh(rel):
    """Demo data, default knobs (rate limit off, as the session stack starts), empty tables."""
    rel.reset()
    yield rel
    rel.sandbox.reset(config=True)


@pytest.fixture
def demo(fresh) -> Demo:
    d = Demo(fresh)
    d.fill_slots()
    return d
