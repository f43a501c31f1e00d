"""Altegio's per-IP limits (5 requests/s, 200/min by default) as sliding windows of accepted requests."""

from __future__ import annotations

import math
import threading
from collections import deque

_PRUNE_AT = 10_000  # clients tracked before idle ones are dropped


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def hit(
        self, key: str, now: float, per_second: int, per_minute: int, second_s: float, minute_s: float
    ) -> int:
        """Record a request; 0 when it may pass, else the whole seconds to wait (for Retry-After)."""
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            horizon = max(second_s, minute_s)
            while hits and hits[0] <= now - horizon:
                hits.popleft()
            waits = []
            if per_second > 0:
                recent = [t for t in _newest(hits, per_second) if t > now - second_s]
                if len(recent) >= per_second:  # wait until the per_second-th newest leaves the window
                    waits.append(recent[per_second - 1] + second_s - now)
            if per_minute > 0:
                in_minute = [t for t in hits if t > now - minute_s] if minute_s != horizon else list(hits)
                if len(in_minute) >= per_minute:
                    waits.append(in_minute[len(in_minute) - per_minute] + minute_s - now)
            if waits:
                return max(1, math.ceil(max(waits)))
            hits.append(now)
            if len(self._hits) > _PRUNE_AT:
                self._prune(now - horizon)
            return 0

    def _prune(self, cutoff: float) -> None:
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > cutoff}

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


def _newest(hits: deque[float], n: int) -> list[float]:
    """The n newest timestamps, newest first."""
    out = []
    for t in reversed(hits):
        out.append(t)
        if len(out) >= n:
            break
    return out
