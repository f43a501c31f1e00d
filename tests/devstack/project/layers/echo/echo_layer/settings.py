"""An env-derived cache, as the real layer keeps its settings and clients."""

import functools
import os


@functools.cache
def get_settings() -> str:
    return os.environ.get("GREETING", "")
