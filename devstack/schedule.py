"""The template's schedules, run locally as EventBridge runs them: each scheduled function is invoked with a
"Scheduled Event" every `rate(...)`, the first time right after the stack starts (a deployment's first
run comes within a minute of it). A run still going when its next turn comes is not started again.

    with LocalStack(schedules=True) as stack: ...        # make dev
    stack.scheduler.run_now("WarmerFunction")             # one run, now, and its result
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from .cfn import ACCOUNT
from .runtime import FunctionError, Functions
from .template import Schedule, Template

log = logging.getLogger("devstack")


def scheduled_event(schedule: Schedule, region: str) -> dict:
    """What EventBridge sends a function on schedule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/local-{schedule.function}-{schedule.event}"],
        "detail": {},
    }


class Scheduler:
    def __init__(self, template: Template, functions: Functions):
        self.template = template
        self.functions = functions
        self.schedules = [s for fn in template.functions.values() for s in fn.schedules if s.enabled]
        self._stop = threading.Event()
        self._running: dict[str, threading.Thread] = {}
        self._thread: threading.Thread | None = None
        self.runs: dict[str, int] = {}
        self.skipped_turn = threading.Event()  # set when a turn found the previous run still going

    def start(self) -> Scheduler:
        if self.schedules and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="devstack-schedules", daemon=True)
            self._thread.start()
        return self

    def stop(self, wait_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait_s)
        for run in list(self._running.values()):
            run.join(wait_s)

    def run_now(self, function: str, event: dict | None = None) -> Any:
        """Invoke a scheduled function now, in this thread, as its schedule would; its result."""
        schedule = next(s for s in self.schedules if s.function == function)
        return self.functions.invoke(function, event or scheduled_event(schedule, self.template.region))

    def _loop(self) -> None:
        due = {s: time.monotonic() for s in self.schedules}
        while not self._stop.is_set():
            now = time.monotonic()
            for schedule, at in due.items():
                if at <= now:
                    due[schedule] = at + schedule.every_s
                    self._fire(schedule)
            self._stop.wait(max(0.05, min(due.values()) - time.monotonic()))

    def _fire(self, schedule: Schedule) -> None:
        key = f"{schedule.function}.{schedule.event}"
        running = self._running.get(key)
        if running is not None and running.is_alive():
            log.info("%s: the previous scheduled run is still going; this turn is skipped", key)
            self.skipped_turn.set()
            return
        thread = threading.Thread(
            target=self._invoke, args=(schedule, key), name=f"schedule-{key}", daemon=True
        )
        self._running[key] = thread
        thread.start()

    def _invoke(self, schedule: Schedule, key: str) -> None:
        try:
            result = self.functions.invoke(schedule.function, scheduled_event(schedule, self.template.region))
            self.runs[key] = self.runs.get(key, 0) + 1
            log.info("%s ran on schedule: %s", key, result)
        except FunctionError as exc:
            log.error("%s failed on schedule: %s", key, exc)
