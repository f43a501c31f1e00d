"""Every request the sandbox served, in order, for tests and the benchmark (bounded, oldest dropped)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .clock import SandboxClock


class Ledger:
    def __init__(self, size: int, clock: SandboxClock):
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=size)
        self._seq = 0

    def add(
        self,
        *,
        client_ip: str,
        method: str,
        path: str,
        status: int,
        ms: float,
        operation: str | None,
        fault: str | None,
        arrived: float | None = None,
    ) -> dict:
        world = self._clock.now()
        # ts and arrived are the host's real clock, like the callers' stamps they are compared with (rates,
        # "since I began"); a pinned or advanced sandbox clock would break that. "time" is the world's.
        answered = time.time()
        with self._lock:
            self._seq += 1
            entry = {
                "seq": self._seq,
                "time": world.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "ts": answered,
                # when it came in, as Altegio's limits count it (before the latency and the work)
                "arrived": round(arrived if arrived is not None else answered, 6),
                "client_ip": client_ip,
                "method": method,
                "path": path,
                "status": status,
                "ms": round(ms, 2),
                "operation": operation,
                "fault": fault,
            }
            self._entries.append(entry)
        return entry

    def entries(self, since: int = 0) -> list[dict]:
        with self._lock:
            return [e for e in self._entries if e["seq"] > since]

    def resize(self, size: int) -> None:
        with self._lock:
            if self._entries.maxlen != size:
                self._entries = deque(self._entries, maxlen=size)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._seq = 0
