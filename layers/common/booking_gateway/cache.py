"""The DynamoDB response cache (DESIGN.md §3).

Item `c#<op>#<location>#<digest>`: body (zlib), fetched_at, fresh_until (soft), expires_at (hard, the
table's TTL attribute, epoch seconds), gen (the location's availability generation when fetched).
Item `gen#<location>`: g, bumped by every booking, reschedule or cancel there.
Item `lock#<key>`: until, taken by the one caller that refreshes a missing entry.
DynamoDB deletes expired items lazily (moto never does), so reads check expiry themselves.
"""

from __future__ import annotations

import functools
import hashlib
import time
import zlib
from dataclasses import dataclass
from decimal import Decimal

import boto3
from boto3.dynamodb.types import Binary
from botocore.exceptions import BotoCoreError, ClientError

from .observability import logger
from .settings import get_settings

CacheUnavailable = (BotoCoreError, ClientError)
MAX_BODY = 350_000  # DynamoDB items stop at 400 KB

@functools.cache  # per container; the local stack clears it when the environment changes
def _tbl():
    return boto3.resource("dynamodb").Table(get_settings().cache_table)


@dataclass
class Entry:
    body: str
    fetched_at: float
    fresh_until: float
    expires_at: float
    gen: int


def cache_key(operation: str, location_id: int | None, path: str, query: list[tuple[str, str]]) -> str:
    """Same request, same key: query pairs de-duplicated and sorted (the caller canonicalises values)."""
    canonical = path + "?" + "&".join(f"{k}={v}" for k, v in sorted(set(query)))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"c#{operation}#{location_id if location_id is not None else '-'}#{digest}"


def read(key: str, location_id: int | None) -> tuple[Entry | None, int]:
    """The entry (None if absent or past its hard expiry) and the location's current generation."""
    table = _tbl()
    keys = [{"pk": key}] + ([{"pk": f"gen#{location_id}"}] if location_id is not None else [])
    items = table.meta.client.batch_get_item(
        RequestItems={table.name: {"Keys": keys, "ConsistentRead": True}}
    )["Responses"].get(table.name, [])
    by_pk = {item["pk"]: item for item in items}  # the resource's client deserialises items
    gen = int(by_pk.get(f"gen#{location_id}", {}).get("g", 0))
    item = by_pk.get(key)
    if item is None or float(item["expires_at"]) <= time.time():
        return None, gen
    entry = Entry(
        body=zlib.decompress(item["body"].value).decode(),
        fetched_at=float(item["fetched_at"]),
        fresh_until=float(item["fresh_until"]),
        expires_at=float(item["expires_at"]),
        gen=int(item.get("gen", 0)),
    )
    return entry, gen


def write(key: str, body: str, fetched_at: float, fresh: int, keep: int, gen: int) -> None:
    packed = zlib.compress(body.encode(), 6)
    if len(packed) > MAX_BODY:
        logger.warning("response too large to cache", extra={"bytes": len(packed)})
        return
    try:
        _tbl().put_item(
            Item={
                "pk": key,
                "body": Binary(packed),
                "fetched_at": Decimal(str(round(fetched_at, 3))),
                "fresh_until": Decimal(str(round(fetched_at + fresh, 3))),
                "expires_at": int(fetched_at + keep),
                "gen": gen,
            },
            # A slow, older answer never overwrites a newer one.
            ConditionExpression="attribute_not_exists(pk) OR fetched_at <= :t",
            ExpressionAttributeValues={":t": Decimal(str(round(fetched_at, 3)))},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def try_lock(key: str, seconds: float) -> bool:
    now = time.time()
    try:
        _tbl().update_item(
            Key={"pk": f"lock#{key}"},
            UpdateExpression="SET #u = :until, expires_at = :exp",
            ConditionExpression="attribute_not_exists(#u) OR #u < :now",
            ExpressionAttributeNames={"#u": "until"},
            ExpressionAttributeValues={
                ":until": Decimal(str(round(now + seconds, 3))),
                ":now": Decimal(str(round(now, 3))),
                ":exp": int(now + 600),
            },
        )
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


def unlock(key: str) -> None:
    try:
        _tbl().delete_item(Key={"pk": f"lock#{key}"})
    except CacheUnavailable:
        logger.warning("could not release a cache lock; it expires by itself")


def bump_generation(location_id: int) -> None:
    """Make every availability entry of the location stale at once. Never raises."""
    try:
        _tbl().update_item(
            Key={"pk": f"gen#{location_id}"},
            UpdateExpression="ADD g :one",
            ExpressionAttributeValues={":one": 1},
        )
    except CacheUnavailable as exc:
        logger.error(
            "could not bump the availability generation",
            extra={"location_id": location_id, "error": type(exc).__name__},
        )


def lock_held(key: str) -> bool:
    item = _tbl().get_item(Key={"pk": f"lock#{key}"}, ConsistentRead=True).get("Item")
    return bool(item) and float(item["until"]) > time.time()
