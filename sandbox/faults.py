"""Fault injection: which fault (if any) a request gets, by rate, every Nth, a count or a time window."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from .config import FaultRule, SandboxConfig


@dataclass
class _Armed:
    rule: FaultRule
    armed_at: float
    seen: int = 0
    fired: int = 0


@dataclass
class Fault:
    kind: str
    status: int = 500
    hang_s: float = 0.0
    before: bool = False
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = f"{self.kind}:{self.status}" if self.kind == "error" else self.kind


class FaultInjector:
    def __init__(self, config: SandboxConfig):
        self._config = config
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._armed: list[_Armed] = []
        self._version: int | None = None

    def _rules(self) -> list[FaultRule]:
        c = self._config
        shorthand = [
            FaultRule("error", rate=c.error_rate, status=c.error_status) if c.error_rate else None,
            FaultRule("hang", rate=c.hang_rate, hang_s=c.hang_seconds) if c.hang_rate else None,
            FaultRule("malformed", rate=c.malformed_rate) if c.malformed_rate else None,
        ]
        return list(c.faults) + [r for r in shorthand if r]

    def _sync(self, now: float) -> None:
        """Re-arm (counters and windows start again) whenever a fault knob is set."""
        if self._config._faults_version != self._version:
            self._version = self._config._faults_version
            self._armed = [_Armed(r, now) for r in self._rules()]

    def pick(self, method: str, path: str) -> Fault | None:
        now = time.monotonic()
        with self._lock:
            self._sync(now)
            for armed in self._armed:
                rule = armed.rule
                if rule.path and rule.path not in path or rule.methods and method.upper() not in rule.methods:
                    continue
                if now < armed.armed_at + rule.after_s:
                    continue
                if rule.for_s is not None and now >= armed.armed_at + rule.after_s + rule.for_s:
                    continue
                if rule.times is not None and armed.fired >= rule.times:
                    continue
                armed.seen += 1
                if rule.every and armed.seen % rule.every:
                    continue
                if rule.rate is not None and self._rng.random() >= rule.rate:
                    continue
                armed.fired += 1
                return Fault(rule.kind, rule.status, rule.hang_s, rule.before)
        return None

    def reset(self) -> None:
        with self._lock:
            self._version = None
            self._rng = random.Random(self._config.seed)
