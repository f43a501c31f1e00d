"""The time this invocation has left, so that no call made in it outlasts the function's timeout.

    with deadline.invocation(context):   # app_factory.make_handler, around the whole handler
        ...
    deadline.left()                      # seconds until the answer must be on its way (None outside)
    with deadline.keeping(2.0):          # calls inside end 2 s sooner: time kept for what must follow
    with deadline.cleaning_up():         # ... which may spend most of MARGIN too

The limit is the Lambda context's remaining time minus MARGIN: the answer still has to be built and
returned, and at the timeout API Gateway answers a bare 502 itself (and a booking's answer is lost).
It lives in a context variable, one per invocation (each thread of the local stack its own), and is
cleared after the handler. An invocation also keeps what it learned the hard way (`noted`): a DynamoDB
that did not answer once is not asked again within the same invocation (dynamo.py).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import clock

MARGIN = 1.5  # seconds kept from the Lambda timeout to build and return the answer
CLEAN_UP_LEFT = 0.3  # of MARGIN, what a clean-up (cleaning_up) leaves to return the answer


@dataclass
class Invocation:
    ends: float  # clock.monotonic() by which every call must be over
    noted: set[str] = field(default_factory=set)


_current: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("invocation", default=None)


def _remaining(context: Any) -> float | None:
    method = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(method):
        return None
    try:
        return float(method()) / 1000
    except (TypeError, ValueError):
        return None


@contextlib.contextmanager
def invocation(context: Any, margin: float = MARGIN) -> Iterator[Invocation | None]:
    """Bound every call made inside by the context's remaining time minus `margin` (no bound without
    a context that tells it)."""
    remaining = _remaining(context)
    current = None if remaining is None else Invocation(clock.monotonic() + remaining - margin)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def current() -> Invocation | None:
    return _current.get()


def left() -> float | None:
    """Seconds this invocation has left for calls (may be negative); None outside a bounded one."""
    now = _current.get()
    return None if now is None else now.ends - clock.monotonic()


def bound(seconds: float) -> float:
    """`seconds`, or less when the invocation has less left (never below zero)."""
    remaining = left()
    return max(0.0, seconds if remaining is None else min(seconds, remaining))


@contextlib.contextmanager
def keeping(seconds: float) -> Iterator[None]:
    """Calls made inside end `seconds` before the invocation's limit: time kept for a clean-up that must
    follow them (idempotency.py takes a booking's sent mark back when the booking is not sent)."""
    with _shifted(-seconds):
        yield


@contextlib.contextmanager
def cleaning_up() -> Iterator[None]:
    """Calls made inside may also spend MARGIN but CLEAN_UP_LEFT: a clean-up that costs more undone than
    a late answer (a sent mark left behind makes every retry a 504 for a booking never made)."""
    with _shifted(MARGIN - CLEAN_UP_LEFT):
        yield


@contextlib.contextmanager
def _shifted(seconds: float) -> Iterator[None]:
    now = _current.get()
    if now is None:
        yield
        return
    token = _current.set(dataclasses.replace(now, ends=now.ends + seconds))  # `noted` stays shared
    try:
        yield
    finally:
        _current.reset(token)
