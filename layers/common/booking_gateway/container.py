"""What one execution environment keeps between invocations, in one place, and the one way to forget it.

Lambda keeps a container's module state from one invocation to the next: the settings read at init, the
DynamoDB clients, the pool to Altegio, the partner token's provider, the budget's memory and its fallback
limiter, the idempotency store, the values learned for masking. Each lives in a slot here, built on first
use by the module that owns it:

    settings = container.get("settings", Settings.load)

The local stack and the tests run many "containers" in one process and change the environment between
them: `reset()` makes the next use of every slot start as a fresh container would (`reset(slot, ...)`:
only those, e.g. the budget's fallback limiter while requests run). Nothing else in the
layer keeps state derived from the environment (module constants and the logger/metrics/tracer excepted).
This module imports nothing from the layer, so every module may use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Every slot, and the module that fills it.
SLOTS = {
    "settings": "settings.py: the environment, validated once",
    "dynamo.session": "dynamo.py: the botocore session every AWS client is built from",
    "dynamo.client": "dynamo.py: DynamoDB for the cache and the budget (botocore retries once)",
    "dynamo.stamp_client": "dynamo.py: DynamoDB for the budget's stamps (no retries of its own)",
    "dynamo.store_client": "dynamo.py: DynamoDB for the idempotency store (tried even after a stall)",
    "altegio.pool": "altegio_client.py: the pooled connections to Altegio",
    "partner_token.provider": "partner_token.py: the Secrets Manager provider, its cache (caller.py's too)",
    "webhooks.provider": "webhooks.py: Powertools' Secrets Manager provider for the webhook secret",
    "budget.memo": "budget.py: when the minute was last found spent for refreshes; a slot write's round trip",
    "budget.local": "budget.py: the fallback limiter while the budget table is unreachable",
    "idempotency.runner": "idempotency.py: Powertools' persistence layer and the wrapped booking",
    "masking.secrets": "masking.py: values learned to be secret (tokens, hashes, personal data)",
    "reads.pending": "reads.py: reads counted in this container, not yet sent to the cache table",
    "cache.notes": "cache.py: the notes of what each bump took, read once (never changed once written)",
    "cache.heard": "cache.py: when this container last noted each location's webhooks heard",
}

_state: dict[str, Any] = {}
_building = threading.RLock()  # one build per slot even when threads (the local stack) arrive together


def get(slot: str, build: Callable[[], T]) -> T:
    """The slot's value, built once per container by `build`."""
    try:
        return _state[slot]
    except KeyError:
        pass
    if slot not in SLOTS:
        raise KeyError(f"{slot!r} is not a container slot (container.SLOTS)")
    with _building:
        if slot not in _state:
            _state[slot] = build()
        return _state[slot]


def reset(*slots: str) -> None:
    """Forget everything (or only these slots): the next use of each builds it again from the
    environment."""
    unknown = set(slots) - set(SLOTS)
    if unknown:
        raise KeyError(f"not container slots: {sorted(unknown)}")
    with _building:
        for slot in slots or list(_state):
            _state.pop(slot, None)
