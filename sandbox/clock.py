"""The sandbox's "now": real time, or pinned at an instant and moving on from there with real time (or
staying there: frozen). The knobs `now` (ISO with offset) and `frozen` pin it (SandboxConfig,
`python -m sandbox --now`, POST /__admin/config or /__admin/clock); advance() moves it forward.

- now(): the world's time. Demo data, schedules and availability, SMS code expiry, records' created and
  changed stamps, the ledger's "time" all read it.
- monotonic(): real monotonic time plus every advance; neither frozen nor moved by a pin. The per-IP rate
  limits, fault schedules and webhook delays and retries count on it: Altegio's limits count requests in
  real seconds (a frozen clock would put them all in one instant), yet an advance lets a window pass
  without a test waiting for it. subscribe() tells a waiting thread (the webhook worker) about an advance.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import SandboxConfig


def parse_instant(value: str) -> datetime:
    """An ISO datetime with its offset ("Z" allowed); ValueError otherwise."""
    try:
        when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"now must be an ISO datetime with an offset, not {value!r}") from exc
    if when.utcoffset() is None:
        raise ValueError(f"now must be an ISO datetime with an offset, not {value!r}")
    return when


class SandboxClock:
    def __init__(self, config: SandboxConfig):
        self._config = config
        self._lock = threading.Lock()
        self._version: int | None = None  # the config's clock version last applied
        self._start: float | None = None  # the pinned instant, epoch seconds; None = real time
        self._anchor = 0.0  # real monotonic time when pinned
        self._skew = 0.0  # seconds advanced in all: added to monotonic()
        self._listeners: list[Callable[[], None]] = []

    def _sync(self) -> None:
        """Re-pin (under the lock) whenever `now` or `frozen` was set: time runs on from that moment."""
        c = self._config
        if c._clock_version == self._version:
            return
        self._version = c._clock_version
        self._anchor = time.monotonic()
        self._start = parse_instant(c.now).timestamp() if c.now else None
        if self._start is None and c.frozen:
            self._start = time.time()  # frozen without an instant: at the real now

    def timestamp(self) -> float:
        with self._lock:
            self._sync()
            if self._start is None:
                return time.time()  # not pinned: the host's clock
            if self._config.frozen:
                return self._start
            return self._start + (time.monotonic() - self._anchor)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._skew

    @property
    def pinned(self) -> bool:
        with self._lock:
            self._sync()
            return self._start is not None

    def advance(self, seconds: float) -> None:
        """As if `seconds` had passed: the world's time (pinned there from now on) and the windows move."""
        if not 0 <= seconds < 1e9:
            raise ValueError("advance_s must be a number of seconds, 0 or more")
        later = self.timestamp() + seconds
        with self._lock:
            self._skew += seconds
        self._config.apply({"now": datetime.fromtimestamp(later, UTC).isoformat()})
        for listener in list(self._listeners):
            listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every advance (a thread waiting for a moment on monotonic() re-checks)."""
        self._listeners.append(listener)

    def state(self) -> dict:
        stamp = self.timestamp()
        return {
            "now": datetime.fromtimestamp(stamp, UTC).isoformat(timespec="milliseconds"),
            "epoch": round(stamp, 3),
            "pinned": self.pinned,
            "frozen": self._config.frozen,
            "pinned_at": self._config.now,
        }
