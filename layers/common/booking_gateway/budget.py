"""The upstream budget every function shares, so Altegio (5/s, 200/min per IP) never sees more.

Per second: a ring of `per_second` slots in DynamoDB, each taken by a conditional write only when its
last use is over a second old, so no sliding second ever holds more calls than slots (Altegio counts
sliding windows; fixed windows would let two halves add up to twice the limit).
Per minute: 10-second buckets; a bucket admits what the six before it left of the minute's allowance.
Writes may use every slot; reads leave one slot per second and a share of the minute to them.
If DynamoDB fails, a conservative in-process limiter takes over: requests are slowed, never failed.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from decimal import Decimal
from typing import Literal

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .observability import count, logger
from .settings import get_settings

Priority = Literal["read", "write"]
SLOT_SPACING = 1.05  # a little over a second: clocks and network jitter
BUCKET = 10
_WRITE_SHARE = 0.1


class BudgetExhausted(Exception):
    def __init__(self, retry_after: float, message: str = "upstream budget spent") -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after + 0.999))


@functools.cache  # per container; the local stack clears it when the environment changes
def _tbl():
    return boto3.resource("dynamodb").Table(get_settings().budget_table)


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _take_slot(slots: list[int], now: float) -> float | None:
    """Take one per-second slot; None on success, else seconds until the earliest slot frees."""
    earliest = None
    for slot in random.sample(slots, len(slots)):
        try:
            _tbl().update_item(
                Key={"pk": f"sec#{slot}"},
                UpdateExpression="SET t = :now, expires_at = :exp",
                ConditionExpression="attribute_not_exists(t) OR t <= :free",
                ExpressionAttributeValues={
                    ":now": _num(now),
                    ":free": _num(now - SLOT_SPACING),
                    ":exp": int(now) + 3600,
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            # The error carries the raw (not deserialised) item.
            last = float(exc.response.get("Item", {}).get("t", {}).get("N", now))
            wait = last + SLOT_SPACING - now
            earliest = wait if earliest is None else min(earliest, wait)
    return max(0.01, earliest or 0.05)


def _num(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def _take_minute(allowance: int, now: float) -> float | None:
    """Count one call in the current 10 s bucket; None on success, else seconds until a bucket frees."""
    bucket = int(now // BUCKET)
    keys = [{"pk": f"min#{b}"} for b in range(bucket - 6, bucket)]
    table = _tbl()
    got = table.meta.client.batch_get_item(RequestItems={table.name: {"Keys": keys, "ConsistentRead": True}})[
        "Responses"
    ].get(table.name, [])
    used = sum(int(item.get("n", 0)) for item in got)  # deserialised by the resource
    room = allowance - used
    if room <= 0:
        return (bucket + 1) * BUCKET - now
    try:
        table.update_item(
            Key={"pk": f"min#{bucket}"},
            UpdateExpression="ADD n :one SET expires_at = :exp",
            ConditionExpression="attribute_not_exists(n) OR n < :room",
            ExpressionAttributeValues={":one": 1, ":room": room, ":exp": int(now) + 3600},
        )
        return None
    except ClientError as exc:
        if not _conditional_failed(exc):
            raise
        return (bucket + 1) * BUCKET - now


class _LocalLimiter:
    """Fallback when DynamoDB is down: one call per second and 20 a minute from this container."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.lock = threading.Lock()

    def wait_time(self, now: float) -> float:
        with self.lock:
            self.times = [t for t in self.times if t > now - 60]
            if len(self.times) >= 20:
                return self.times[0] + 60 - now
            if self.times and self.times[-1] > now - SLOT_SPACING:
                return self.times[-1] + SLOT_SPACING - now
            self.times.append(now)
            return 0.0


_local = _LocalLimiter()


def acquire(priority: Priority = "read", wait_max: float | None = None) -> None:
    """Block until one upstream call may go out, or raise BudgetExhausted(retry_after)."""
    settings = get_settings()
    per_second, per_minute = settings.upstream_per_second, settings.upstream_per_minute
    slots = list(range(per_second if priority == "write" or per_second < 2 else per_second - 1))
    allowance = per_minute if priority == "write" else per_minute - max(1, int(per_minute * _WRITE_SHARE))
    deadline = time.monotonic() + (settings.budget_wait_seconds if wait_max is None else wait_max)
    waited = False
    while True:
        now = time.time()
        try:
            wait = _take_slot(slots, now)
            if wait is None:
                minute_wait = _take_minute(allowance, now)
                if minute_wait is not None:
                    count("BudgetExhausted")
                    raise BudgetExhausted(minute_wait, "upstream budget for this minute is spent")
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "budget table unavailable; using the local limiter", extra={"error": type(exc).__name__}
            )
            wait = _local.wait_time(now) or None
        if wait is None:
            if waited:
                count("BudgetWait")
            return
        if time.monotonic() + wait > deadline:
            count("BudgetExhausted")
            raise BudgetExhausted(wait)
        waited = True
        time.sleep(wait + random.uniform(0, 0.02))
