"""The layer's per-container state, as the real layer keeps its settings and clients (devstack resets it)."""

state: dict = {}


def reset() -> None:
    state.clear()
