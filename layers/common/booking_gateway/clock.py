"""The gateway's one clock: every time read and wait in the layer goes through here, so tests pin and move
time (tests/conftest.py `clock`) instead of sleeping.

    clock.now()         # epoch seconds: stamps shared through DynamoDB (budget slots, cache freshness, TTLs)
    clock.monotonic()   # deadlines and durations within one invocation
    clock.sleep(s)      # every wait (budget turns, backoff, polling a peer's lock or a note)
    clock.today(offset) # the date now at a UTC offset (a location's, as its slots' datetimes carry it)

`use(source)` installs another clock (an object with now, monotonic and sleep) and returns the one it
replaced; `use(None)` puts the real one back. Latency metrics (time.perf_counter in observability.py,
altegio_client.py and forward.py) stay on the real clock on purpose: they measure work, not time.

Powertools' idempotency (idempotency.py) computes its records' expiry and its "is it expired" check from
`datetime.datetime.now()`, not from here: a test pins and moves that with time-machine, which the `clock`
fixture keeps in step with this seam (`clock.pin_datetime()`), so expiry stays one clock in tests too.
"""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace
from typing import Any

REAL = SimpleNamespace(now=time.time, monotonic=time.monotonic, sleep=time.sleep)
_source: Any = REAL


def now() -> float:
    """Wall-clock time, epoch seconds."""
    return _source.now()


def monotonic() -> float:
    """A clock that never goes back, for deadlines and durations."""
    return _source.monotonic()


def today(utc_offset: dt.timedelta = dt.timedelta(0)) -> dt.date:
    """The date it is now at this UTC offset: a location's "today" is not UTC's for hours of every day."""
    return dt.datetime.fromtimestamp(now(), dt.timezone(utc_offset)).date()


def first_of_month(day: dt.date, add: int = 0) -> dt.date:
    """The first day of `day`'s month, or of the month `add` months on."""
    y, m = divmod(day.month - 1 + add, 12)
    return dt.date(day.year + y, m + 1, 1)


def sleep(seconds: float) -> None:
    """Wait `seconds` (nothing for zero or less)."""
    if seconds > 0:
        _source.sleep(seconds)


def use(source: Any | None) -> Any:
    """Install `source` (None: the real clock); return the previous one, to put back."""
    global _source
    previous, _source = _source, source or REAL
    return previous
