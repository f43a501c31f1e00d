"""A fake clock for the layer's seam (booking_gateway.clock): time moves only when a test moves it.

    def test_x(clock):               # tests/conftest.py: installed for the test, the real one put back after
        clock.pin("2026-12-04T14:30:00Z")   # wall clock jumps (monotonic does not: no time passed)
        clock.advance(1.1)           # time passes: both move
        clock.sleep(0.3)             # what the layer's waits do: advance at once, no real wait
        clock.pin_datetime()         # also pin datetime.now()/time.time() (time-machine), kept in step
        clock.run_together(f, g)     # f and g as threads taking turns on the clock (deterministic)

test_now(): TEST_NOW's instant (the session sandbox is pinned there), else the real now.

A plain sleep advances the shared clock at once, so it suits one thread's waits. Threads that wait on each
other go through run_together: one runs at a time until it sleeps or ends, then the clock jumps to the
earliest wake-up, so the order of events is the same on an idle or a saturated machine.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import time_machine


def test_now() -> datetime:
    """The instant the session's sandbox is pinned at (TEST_NOW, ISO with offset), else the real now."""
    pinned = os.environ.get("TEST_NOW")
    return datetime.fromisoformat(pinned) if pinned else datetime.now(UTC)


test_now.__test__ = False  # a helper, not a test, wherever it is imported


def epoch(when: float | str | datetime) -> float:
    if isinstance(when, int | float):
        return float(when)
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("a pinned instant needs its offset")
    return when.timestamp()


class _Actor:
    def __init__(self, index: int, fn: Callable[[], Any]):
        self.index, self.fn = index, fn
        self.go = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = 0


class FakeClock:
    def __init__(self, at: float | str | datetime):
        self._lock = threading.RLock()
        self._now = epoch(at)
        self._mono = 1_000_000.0  # any start: only differences count
        self._travel: Any = None  # a time-machine traveller kept in step (pin_datetime)
        self._actors: dict[int, _Actor] = {}  # thread id -> actor (run_together)
        self._sleepers: list[tuple[float, int, _Actor]] = []
        self._seq = itertools.count()
        self._turn_over = threading.Event()

    # -- the seam's interface --------------------------------------------------------------------------
    def now(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        actor = self._actors.get(threading.get_ident())
        if actor is None:
            self.advance(max(0.0, seconds))
            time.sleep(0)  # let other threads run, as a real wait would (no time passes)
            return
        with self._lock:
            heapq.heappush(self._sleepers, (self._mono + max(0.0, seconds), next(self._seq), actor))
        actor.go.clear()
        self._turn_over.set()  # back to the scheduler; it wakes us when the clock reaches our time
        actor.go.wait()

    # -- moving it ------------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Time passes: wall and monotonic clocks move together."""
        if seconds < 0:
            raise ValueError("time does not go back; pin() a wall-clock jump instead")
        with self._lock:
            self._now += seconds
            self._mono += seconds
            if self._travel is not None:
                self._travel.shift(seconds)

    def pin(self, when: float | str | datetime) -> None:
        """The wall clock jumps to `when` (as an NTP step would); monotonic time does not move."""
        with self._lock:
            self._now = epoch(when)
            if self._travel is not None:
                self._travel.move_to(datetime.fromtimestamp(self._now, UTC))

    def pin_datetime(self) -> None:
        """Pin the process's datetime.now()/time.time() too (time-machine, not ticking), in step with this
        clock: for code outside the seam, e.g. Powertools' idempotency expiry. Stopped by close()."""
        with self._lock:
            if self._travel is None:
                self._traveller = time_machine.travel(datetime.fromtimestamp(self._now, UTC), tick=False)
                self._travel = self._traveller.start()  # its coordinates: shift() and move_to()

    def close(self) -> None:
        with self._lock:
            if self._travel is not None:
                self._traveller.stop()
                self._travel = None

    # -- threads taking turns -------------------------------------------------------------------------
    def run_together(self, *fns: Callable[[], Any], timeout: float = 30.0) -> list[Any]:
        """Run each fn in its own thread, one at a time: a thread runs until it sleeps on this clock or
        ends; then the next one starts, or the clock moves to the earliest wake-up and that sleeper
        resumes (ties: who slept first). Returns the fns' results in order; re-raises the first error."""
        actors = [_Actor(i, fn) for i, fn in enumerate(fns)]
        threads = [threading.Thread(target=self._act, args=(a,), daemon=True) for a in actors]
        for thread in threads:
            thread.start()
        pending, done = list(actors), 0
        while done < len(actors):
            if pending:
                actor = pending.pop(0)
            else:
                with self._lock:
                    wake, _, actor = heapq.heappop(self._sleepers)
                    self.advance(max(0.0, wake - self._mono))
            self._turn_over.clear()
            actor.go.set()
            if not self._turn_over.wait(timeout):  # a real wait for a thread blocked outside the clock
                raise TimeoutError(f"actor {actor.index} neither slept nor ended within {timeout} s")
            done += actor.done  # it ended, or it sleeps (in the heap)
        for thread in threads:
            thread.join(timeout)
        for actor in actors:
            if actor.error is not None:
                raise actor.error
        return [a.result for a in actors]

    def _act(self, actor: _Actor) -> None:
        actor.go.wait()
        self._actors[threading.get_ident()] = actor
        try:
            actor.result = actor.fn()
        except BaseException as exc:  # handed to run_together's caller
            actor.error = exc
        finally:
            del self._actors[threading.get_ident()]
            actor.done = 1
            self._turn_over.set()
