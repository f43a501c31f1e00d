"""An env-derived value kept per container, as the real layer keeps its settings."""

import os

from . import container


def get_settings() -> str:
    return container.state.setdefault("greeting", os.environ.get("GREETING", ""))
