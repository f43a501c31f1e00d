"""The DynamoDB response cache (DESIGN.md §3).

Item `c#<op>#<location|->#<digest>`: body (zlib), status, fetched_at, fresh_until (soft), expires_at (hard,
the table's TTL attribute, epoch seconds), gl and gs (the availability generation when fetched).
Generations (item `gen#...`: g, only ever incremented), so one write invalidates only what it changed:
- `gen#<location>`: everything there (a reschedule: its old day is not known);
- `gen#<location>#<YYYY-MM-DD>`: that day's times (a booking or cancel on that day);
- `gen#<location>#days`: the location's hints (dates, team members, nearest slots), bumped with any day.
An entry depends on the location's generation and its scope's, the day's (book_times) or the hints', and
stores both (Gen); each only grows. What a bump of a scope took is noted beside it (holds.py).
`gen#<location>` also carries `wh`: when Altegio's webhooks last reported a record there (heard()), read
with every entry: changes there reach the cache as they happen, so read_path may serve its aged lists.
Item `held#<location>#<scope>#<g>`: p, what the bump of that scope to g took (holds.py).
A generation item also carries the bookings in flight on its scope (`p_<token>`: {u: until, p: payload},
holds.py), read with it, so a list is patched from the moment a booking is sent until its bump is noted.
Item `lock#<key>`: until, taken by the one caller that refreshes a missing or stale entry. A holder the
budget refused (or Altegio's 429) lets go leaving that answer (rs, rm, ra, re) until ru, for its waiters.
Item `warmer#run`: until, while a warmer run is under way (warmer.py); peek() tells readers so (read_path
then leaves an aged copy's refresh to it).
DynamoDB deletes expired items lazily (moto never does), so reads check expiry themselves.
Every function raises CacheUnavailable when DynamoDB fails, except bump_generation, unlock and heard,
which log and carry on. Item `pos#<location>#<record>`: a record's last known position (positions.py);
`hook#<digest>`: a webhook delivery already applied (webhooks.py).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from botocore.exceptions import ClientError

from . import clock, container, dynamo
from .errors import Answer
from .observability import logger
from .settings import get_settings

CacheUnavailable = dynamo.Unavailable
MAX_BODY = 350_000  # DynamoDB items stop at 400 KB
REFUSAL_SECONDS = 2.0  # a lock holder's refusal answers its waiters this long at most
NOTES_KEPT = 4096  # notes a container keeps at most (a few hundred bytes each)
IN_FLIGHT = "p_"  # prefix of a generation item's attributes that hold a booking in flight
WARMER_RUN = "warmer#run"  # the item a running warmer holds (warmer.py)
HEARD_NOTE = 600.0  # a container notes a location's webhooks heard at most this often (read_path: 24 h)


class Gen(NamedTuple):
    """An availability generation: the location's and its scope's (one day's times, or the hints')."""

    location: int = 0
    scoped: int = 0


@dataclass(frozen=True)
class Refusal:
    """A lock holder's call refused for want of budget: its waiters would be refused the same (read_path)."""

    answer: Answer  # with a Retry-After: how long the refusal stands
    stale_if_error: bool  # whether any kept copy may stand in (errors.Unanswered)


@dataclass
class Entry:
    body: str
    fetched_at: float
    fresh_until: float
    expires_at: float
    gen: Gen
    status: int = 200
    in_flight: tuple[str, ...] = ()  # payloads of the bookings in flight on its scopes (holds.py)


def _table() -> str:
    return get_settings().cache_table


def cache_key(operation: str, location_id: int | None, path: str, query: list[tuple[str, str]]) -> str:
    """Same request, same key: query pairs de-duplicated and sorted (the caller canonicalises values)."""
    canonical = path + "?" + "&".join(f"{k}={v}" for k, v in sorted(set(query)))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"c#{operation}#{location_id if location_id is not None else '-'}#{digest}"


def generation_keys(location_id: int | None, day: str | None = None) -> tuple[str, ...]:
    """What an entry of this location depends on: one day's times, or (no day) the location's hints."""
    if location_id is None:
        return ()
    return (f"gen#{location_id}", f"gen#{location_id}#{day or 'days'}")


class Peek(NamedTuple):
    """An entry as read() gives it, with what stands around it: whether another caller holds its refresh
    lock, the refusal a holder left, whether a warmer run is under way, and when webhooks were heard."""

    entry: Entry | None
    gen: Gen
    held: bool
    refusal: Refusal | None
    warming: bool
    heard: float  # when Altegio's webhooks last reported a record of the location (0: never)


def read(key: str, location_id: int | None, day: str | None = None) -> tuple[Entry | None, Gen]:
    """The entry (None if absent or past its hard expiry) and its scope's current generation.

    One strongly consistent BatchGetItem for both, so a bump is seen by the very next read."""
    got = _get(key, generation_keys(location_id, day), with_lock=False, with_run=False)
    return got.entry, got.gen


def peek(key: str, location_id: int | None, day: str | None = None, *, with_run: bool = True) -> Peek:
    """read() plus the entry's lock, the warmer's run item (unless not `with_run`: `warming` is then False)
    and the location's webhooks heard, in the same single request."""
    return _get(key, generation_keys(location_id, day), with_lock=True, with_run=with_run)


def _get(key: str, gen_keys: tuple[str, ...], with_lock: bool, with_run: bool) -> Peek:
    table = _table()
    keys = [{"pk": dynamo.s(k)} for k in (key, *gen_keys)]
    if with_lock:
        keys.append({"pk": dynamo.s(f"lock#{key}")})
    if with_run:
        keys.append({"pk": dynamo.s(WARMER_RUN)})
    got = dynamo.client().batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    by_pk = {item["pk"]["S"]: item for item in got["Responses"].get(table, [])}
    now = clock.now()
    gen = Gen(*(int(dynamo.num(by_pk.get(k, {}), "g")) for k in gen_keys))
    lock = by_pk.get(f"lock#{key}", {})
    locked = dynamo.num(lock, "until") > now
    refusal = _refusal(lock) if dynamo.num(lock, "ru") > now else None
    warming = dynamo.num(by_pk.get(WARMER_RUN, {}), "until") > now
    heard = dynamo.num(by_pk.get(gen_keys[0], {}), "wh") if gen_keys else 0.0
    item = by_pk.get(key)
    if item is None or dynamo.num(item, "expires_at") <= now:
        return Peek(None, gen, locked, refusal, warming, heard)
    entry = Entry(
        body=zlib.decompress(item["body"]["B"]).decode(),
        fetched_at=dynamo.num(item, "fetched_at"),
        fresh_until=dynamo.num(item, "fresh_until"),
        expires_at=dynamo.num(item, "expires_at"),
        gen=Gen(int(dynamo.num(item, "gl")), int(dynamo.num(item, "gs"))),
        status=int(dynamo.num(item, "status", 200)),
        in_flight=tuple(p for k in gen_keys for p in _in_flight(by_pk.get(k, {}), now)),
    )
    return Peek(entry, gen, locked, refusal, warming, heard)


def _refusal(lock: dict) -> Refusal:
    message = lock.get("rm", {}).get("S", "")
    answer = Answer(int(dynamo.num(lock, "rs", 503)), message, int(dynamo.num(lock, "ra", 1)))
    return Refusal(answer, bool(dynamo.num(lock, "re")))


def _in_flight(gen_item: dict, now: float) -> list[str]:
    """The payloads of a generation item's bookings in flight that have not run out."""
    out = []
    for name, attr in gen_item.items():
        held = attr.get("M") if name.startswith(IN_FLIGHT) else None
        if held and dynamo.num(held, "u") > now and "S" in held.get("p", {}):
            out.append(held["p"]["S"])
    return out


def write(key: str, body: str, fetched_at: float, fresh: int, keep: int, gen: Gen, status: int = 200) -> None:
    packed = zlib.compress(body.encode(), 6)
    if len(packed) > MAX_BODY:
        logger.warning("response too large to cache", extra={"bytes": len(packed)})
        return
    try:
        dynamo.client().put_item(
            TableName=_table(),
            Item={
                "pk": dynamo.s(key),
                "body": {"B": packed},
                "fetched_at": dynamo.n(round(fetched_at, 3)),
                "fresh_until": dynamo.n(round(fetched_at + fresh, 3)),
                "expires_at": dynamo.n(int(fetched_at + keep)),
                "gl": dynamo.n(gen.location),
                "gs": dynamo.n(gen.scoped),
                "status": dynamo.n(status),
            },
            # A slow, older answer never overwrites a newer one.
            ConditionExpression="attribute_not_exists(pk) OR fetched_at <= :t",
            ExpressionAttributeValues={":t": dynamo.n(round(fetched_at, 3))},
        )
    except ClientError as exc:
        if not dynamo.conditional_failed(exc):
            raise


def try_lock(key: str, seconds: float) -> bool:
    """Become the one caller that refreshes `key` for the next `seconds` (a conditional write)."""
    now = clock.now()
    try:
        dynamo.client().update_item(
            TableName=_table(),
            Key={"pk": dynamo.s(f"lock#{key}")},
            UpdateExpression="SET #u = :until, expires_at = :exp",
            ConditionExpression="attribute_not_exists(#u) OR #u < :now",
            ExpressionAttributeNames={"#u": "until"},
            ExpressionAttributeValues={
                ":until": dynamo.n(round(now + seconds, 3)),
                ":now": dynamo.n(round(now, 3)),
                ":exp": dynamo.n(int(now + 600)),
            },
        )
        return True
    except ClientError as exc:
        if dynamo.conditional_failed(exc):
            return False
        raise


def unlock(key: str, refusal: Refusal | None = None) -> None:
    """Let go of the refresh lock; with `refusal`, leave it for the waiters until its Retry-After (at most
    REFUSAL_SECONDS): they answer it rather than wait on, or ask a budget that just said no."""
    try:
        if refusal is None:
            dynamo.client().delete_item(TableName=_table(), Key={"pk": dynamo.s(f"lock#{key}")})
            return
        now, answer = clock.now(), refusal.answer
        retry_after = answer.retry_after or 1  # read_path leaves only refusals that carry one
        dynamo.client().update_item(
            TableName=_table(),
            Key={"pk": dynamo.s(f"lock#{key}")},
            UpdateExpression="REMOVE #u SET ru = :u, rs = :s, rm = :m, ra = :a, re = :r, expires_at = :e",
            ExpressionAttributeNames={"#u": "until"},
            ExpressionAttributeValues={
                ":u": dynamo.n(round(now + min(retry_after, REFUSAL_SECONDS), 3)),
                ":s": dynamo.n(answer.status),
                ":m": dynamo.s(answer.message),
                ":a": dynamo.n(retry_after),
                ":r": dynamo.n(int(refusal.stale_if_error)),
                ":e": dynamo.n(int(now + 600)),
            },
        )
    except CacheUnavailable:
        logger.warning("could not release a cache lock; it expires by itself")


def bump_generation(location_id: int, days: Iterable[str] = ()) -> dict[str, int]:
    """Make availability entries of the location stale at once: those of `days` and the hints, or (no
    days) all of them. Never raises. Returns the new generation of each scope bumped ("days" for the
    hints), for noting what the bump took (holds.py)."""
    return bump(location_id, days, strict=False)


def bump(location_id: int, days: Iterable[str] = (), *, strict: bool = True) -> dict[str, int]:
    """bump_generation, raising CacheUnavailable at the first scope that could not be bumped (`strict`,
    a webhook: Altegio must deliver it again) or logging it and carrying on."""
    days = sorted(set(days))
    scopes = [*days, "days"] if days else [None]
    bumped: dict[str, int] = {}
    for scope in scopes:
        name = f"gen#{location_id}" + (f"#{scope}" if scope else "")
        try:
            got = dynamo.client().update_item(
                TableName=_table(),
                Key={"pk": dynamo.s(name)},
                UpdateExpression="ADD g :one",
                ExpressionAttributeValues={":one": dynamo.n(1)},
                ReturnValues="UPDATED_NEW",
            )
            if scope:
                bumped[scope] = int(dynamo.num(got.get("Attributes", {}), "g"))
        except CacheUnavailable as exc:
            if strict:
                raise
            logger.error(
                "could not bump the availability generation",
                extra={"location_id": location_id, "error": type(exc).__name__},
            )
    return bumped


def heard(location_id: int) -> None:
    """Note that Altegio's webhooks reported a record of the location just now, once per HEARD_NOTE in a
    container (a delivery waits on each call). Never raises: a missed note only keeps its aged lists
    refreshed on the read a while longer."""
    noted, now = container.get("cache.heard", dict), clock.now()
    if now - noted.get(location_id, float("-inf")) < HEARD_NOTE:
        return
    noted[location_id] = now
    try:
        dynamo.client().update_item(
            TableName=_table(),
            Key={"pk": dynamo.s(f"gen#{location_id}")},
            UpdateExpression="SET wh = :now",
            ExpressionAttributeValues={":now": dynamo.n(round(now, 3))},
        )
    except CacheUnavailable as exc:
        logger.warning("could not note a webhook heard", extra={"error": type(exc).__name__})


def hold(location_id: int, scopes: Iterable[str], token: str, payload: str, seconds: float) -> None:
    """Mark a booking in flight on each scope's generation item until it is released or `seconds` pass."""
    until = {"M": {"u": dynamo.n(round(clock.now() + seconds, 3)), "p": dynamo.s(payload)}}
    _in_flight_update(location_id, scopes, token, "SET #h = :h", {":h": until})


def release(location_id: int, scopes: Iterable[str], token: str) -> None:
    """The booking is no longer in flight (its bump and note are written, or it was not made)."""
    _in_flight_update(location_id, scopes, token, "REMOVE #h")


def _in_flight_update(location_id: int, scopes: Iterable[str], token: str, update: str, values=None) -> None:
    for scope in scopes:
        dynamo.client().update_item(
            TableName=_table(),
            Key={"pk": dynamo.s(f"gen#{location_id}#{scope}")},
            UpdateExpression=update,
            ExpressionAttributeNames={"#h": IN_FLIGHT + token},
            **({"ExpressionAttributeValues": values} if values else {}),
        )


def note(location_id: int, scope: str, gen: int, payload: str, ttl: int) -> None:
    """Keep `payload` beside generation `gen` of a scope (what the bump to it took, holds.py)."""
    note_all(location_id, {scope: gen}, payload, ttl)


def note_all(location_id: int, gens: dict[str, int], payload: str, ttl: int) -> None:
    """note() for several scopes at once: one BatchWriteItem (what DynamoDB leaves unprocessed is written
    one by one)."""
    items = [
        {
            "pk": dynamo.s(f"held#{location_id}#{scope}#{gen}"),
            "p": dynamo.s(payload),
            "expires_at": dynamo.n(int(clock.now()) + ttl),
        }
        for scope, gen in gens.items()
    ]
    if not items:
        return
    table = _table()
    if len(items) == 1:
        dynamo.client().put_item(TableName=table, Item=items[0])
        return
    got = dynamo.client().batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items]})
    for left in got.get("UnprocessedItems", {}).get(table, []):
        dynamo.client().put_item(TableName=table, Item=left["PutRequest"]["Item"])


def notes(location_id: int, scope: str, gens: Iterable[int]) -> list[str] | None:
    """The payloads kept beside these generations of a scope, in order; None if any is missing. A note is
    written once and never changed (each bump has a generation of its own), so the container keeps those
    it read: every patched answer needs them (a tenth of the local stack's DynamoDB calls in a warm bench
    run went to reading them again)."""
    names = [f"held#{location_id}#{scope}#{g}" for g in gens]
    kept = _kept_notes()
    wanted = [k for k in names if k not in kept]
    if wanted:
        table = _table()
        got = dynamo.client().batch_get_item(
            RequestItems={table: {"Keys": [{"pk": dynamo.s(k)} for k in wanted], "ConsistentRead": True}}
        )
        if len(kept) > NOTES_KEPT:
            kept.clear()
        kept.update((item["pk"]["S"], item["p"]["S"]) for item in got["Responses"].get(table, []))
    if any(k not in kept for k in names):
        return None
    return [kept[k] for k in names]


def _kept_notes() -> dict[str, str]:
    return container.get("cache.notes", dict)
