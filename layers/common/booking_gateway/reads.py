"""What visitors read lately, counted cheaply, so the warmer (warmer.py) keeps exactly that fresh.

    reads.note(ReadKey("book_times", path, query, location_id, day, member))   # read_path, every read
    reads.hot()                                                               # warmer: most read first

Counts build up in the container and leave in one UpdateItem at most every FLUSH_SECONDS (on the read that
finds the interval over): item `reads#<epoch // BUCKET>`, attributes `n_<digest>` (ADD count) and
`s_<digest>` (the read, as JSON). hot() sums the last LATELY buckets. A lost flush (DynamoDB failing, a
container ending) loses some counts, never a request: the warmer only uses them to choose.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass

from . import clock, container, dynamo
from .observability import logger
from .settings import get_settings

FLUSH_SECONDS = 10.0
BUCKET = 300  # seconds per bucket of counts
LATELY = 3  # buckets hot() reads: the last 10-15 minutes
MAX_KEYS = 100  # distinct reads one flush carries (the rest wait for the next)
COUNTED = frozenset({"book_services", "book_staff", "book_staff_seances", "book_dates", "book_times"})
_lock = threading.Lock()  # the local stack runs many invocations of one container's layer at once


@dataclass(frozen=True)
class ReadKey:
    """One read as read_path.serve_get was asked it (query canonical: sorted, de-duplicated)."""

    operation: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    location_id: int | None = None
    day: str | None = None
    member: int | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_json(cls, text: str) -> ReadKey:
        raw = json.loads(text)
        return cls(**{**raw, "query": tuple(tuple(pair) for pair in raw.get("query") or ())})


def _pending() -> dict:
    return container.get("reads.pending", lambda: {"keys": {}, "flushed": clock.now()})


def note(key: ReadKey) -> None:
    """Count one read; flush the container's counts when FLUSH_SECONDS have passed. Never raises."""
    if key.operation not in COUNTED:
        return
    pending = _pending()
    with _lock:
        count, _ = pending["keys"].get(key.digest, (0, key))
        pending["keys"][key.digest] = (count + 1, key)
        if clock.now() - pending["flushed"] < FLUSH_SECONDS:
            return
        batch = dict(list(pending["keys"].items())[:MAX_KEYS])
        for digest in batch:
            del pending["keys"][digest]
        pending["flushed"] = clock.now()
    _flush(batch)


def flush() -> None:
    """Send whatever this container counted (tests; the warmer before it plans)."""
    pending = _pending()
    with _lock:
        batch, pending["keys"] = pending["keys"], {}
        pending["flushed"] = clock.now()
    _flush(batch)


def _flush(batch: dict[str, tuple[int, ReadKey]]) -> None:
    if not batch:
        return
    now = clock.now()
    names, values, adds, sets = {}, {}, [], []
    for i, (digest, (count, key)) in enumerate(batch.items()):
        names[f"#n{i}"], names[f"#s{i}"] = f"n_{digest}", f"s_{digest}"
        values[f":n{i}"] = dynamo.n(count)
        values[f":s{i}"] = dynamo.s(json.dumps(asdict(key), sort_keys=True))
        adds.append(f"#n{i} :n{i}")
        sets.append(f"#s{i} = if_not_exists(#s{i}, :s{i})")
    values[":exp"] = dynamo.n(int(now) + BUCKET * (LATELY + 1))
    try:
        dynamo.client().update_item(
            TableName=get_settings().cache_table,
            Key={"pk": dynamo.s(f"reads#{int(now // BUCKET)}")},
            UpdateExpression=f"ADD {', '.join(adds)} SET {', '.join(sets)}, expires_at = :exp",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except dynamo.Unavailable as exc:
        logger.warning("read counts not kept", extra={"error": type(exc).__name__, "keys": len(batch)})


def hot(limit: int = 50) -> list[tuple[int, ReadKey]]:
    """(count, read) of the last LATELY buckets, most read first. [] when DynamoDB fails."""
    now, table = clock.now(), get_settings().cache_table
    keys = [{"pk": dynamo.s(f"reads#{int(now // BUCKET) - i}")} for i in range(LATELY)]
    try:
        got = dynamo.client().batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    except dynamo.Unavailable as exc:
        logger.warning("read counts unavailable", extra={"error": type(exc).__name__})
        return []
    counts: dict[str, int] = {}
    specs: dict[str, str] = {}
    for item in got["Responses"].get(table, []):
        if dynamo.num(item, "expires_at") <= now:
            continue
        for name, attr in item.items():
            if name.startswith("n_"):
                counts[name[2:]] = counts.get(name[2:], 0) + int(float(attr["N"]))
            elif name.startswith("s_"):
                specs[name[2:]] = attr["S"]
    ranked = sorted(((n, d) for d, n in counts.items() if d in specs), key=lambda x: (-x[0], x[1]))
    return [(n, ReadKey.from_json(specs[d])) for n, d in ranked[:limit]]
