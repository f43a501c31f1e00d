"""GET operations: allowlist → cache → (one coalesced, budgeted upstream call) → answer with X-Cache."""

from __future__ import annotations

import time

from aws_lambda_powertools.event_handler import Response

from . import altegio_client, cache
from .allowlist import require_location
from .budget import BudgetExhausted
from .envelope import error_response, upstream_response
from .observability import count, logger
from .operations import POLICIES

LOCK_SECONDS = 8.0
WAIT_FOR_PEER = 6.0  # a peer's refresh may wait on the budget; waiting beats a second upstream call


def _cache_headers(state: str, entry_age: float, fresh_left: float, availability: bool) -> dict[str, str]:
    # Availability can change with any booking: browsers must always come back to the gateway.
    control = "no-cache" if availability else f"max-age={max(0, int(fresh_left))}"
    return {"X-Cache": state, "Age": str(max(0, int(entry_age))), "Cache-Control": control}


def _from_entry(entry: cache.Entry, state: str, availability: bool) -> Response:
    now = time.time()
    count({"hit": "CacheHit", "stale": "CacheStale"}[state])
    up = altegio_client.UpstreamResponse(200, entry.body.encode(), {})
    return upstream_response(
        up, _cache_headers(state, now - entry.fetched_at, entry.fresh_until - now, availability)
    )


def _unavailable(
    stale: cache.Entry | None, availability: bool, status: int, message: str, retry_after: int | None = None
) -> Response:
    if stale is not None:
        return _from_entry(stale, "stale", availability)
    headers = {"X-Cache": "miss", "Cache-Control": "no-store"}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return error_response(status, message, headers=headers)


def _fetch(path: str, query: list[tuple[str, str]]) -> altegio_client.UpstreamResponse:
    return altegio_client.call("GET", path, query=query, idempotent=True, priority="read")


def serve_get(
    operation: str, path: str, query: list[tuple[str, str]] | None = None, location_id: int | None = None
) -> Response:
    """Answer a read from the cache when fresh, else from Altegio (Altegio's answer passes through)."""
    if location_id is not None:
        require_location(location_id)
    policy = POLICIES[operation]
    query = sorted(set(query or []))
    scope = location_id if policy.availability else None
    key = cache.cache_key(operation, location_id, path, query)
    cache_ok = locked = True
    stale = None
    gen = 0
    try:
        entry, gen = cache.read(key, scope)
        if entry is not None and entry.gen == gen:
            if time.time() < entry.fresh_until:
                return _from_entry(entry, "hit", policy.availability)
            stale = entry  # an older generation is never served: a booking changed it
        locked = cache.try_lock(key, LOCK_SECONDS)
        if not locked:
            waited = _wait_for_peer(key, scope, gen)
            if waited is not None:
                return _from_entry(waited, "hit", policy.availability)
            if stale is not None:
                return _from_entry(stale, "stale", policy.availability)
    except cache.CacheUnavailable as exc:
        logger.warning("cache unavailable; answering from Altegio", extra={"error": type(exc).__name__})
        count("CacheBypass")
        cache_ok = locked = False
    try:
        return _refresh(operation, path, query, key, gen, stale, cache_ok, policy)
    finally:
        if locked:
            cache.unlock(key)


def _wait_for_peer(key: str, scope: int | None, gen: int) -> cache.Entry | None:
    """Another caller is fetching this key: wait for its entry instead of calling Altegio again."""
    started = time.time()
    while time.time() - started < WAIT_FOR_PEER:
        time.sleep(0.05)
        entry, current = cache.read(key, scope)
        if entry is not None and entry.gen == current and entry.fetched_at >= started - LOCK_SECONDS:
            return entry
        if not cache.lock_held(key):
            return None
    return None


def _refresh(
    operation: str,
    path: str,
    query: list[tuple[str, str]],
    key: str,
    gen: int,
    stale: cache.Entry | None,
    cache_ok: bool,
    policy,
) -> Response:
    fetched_at = time.time()
    try:
        up = _fetch(path, query)
    except BudgetExhausted as exc:
        return _unavailable(
            stale,
            policy.availability,
            503,
            "The upstream request budget is spent; retry shortly.",
            exc.retry_after,
        )
    except altegio_client.UpstreamTimeout:
        return _unavailable(
            stale, policy.availability, 504, "Altegio did not answer in time; retry shortly.", 2
        )
    except altegio_client.UpstreamAuthFailed:
        return _unavailable(
            stale, policy.availability, 502, "The gateway could not authenticate with Altegio."
        )
    except altegio_client.UpstreamUnavailable:
        return _unavailable(stale, policy.availability, 502, "Altegio is unavailable; retry shortly.", 2)
    count("CacheMiss")
    body = up.body.decode("utf-8", "replace")
    if up.status == 200 and cache_ok:
        try:
            cache.write(key, body, fetched_at, policy.fresh, policy.keep, gen)
        except cache.CacheUnavailable:
            logger.warning("could not store a cache entry")
    state = "miss" if cache_ok else "bypass"
    headers = _cache_headers(state, 0, policy.fresh if up.status == 200 else 0, policy.availability)
    if up.status != 200:
        headers["Cache-Control"] = "no-store"
    return upstream_response(up, headers)
