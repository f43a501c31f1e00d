"""GET operations: allowlist → cache → (one coalesced, budgeted upstream call) → answer with X-Cache.

    return serve_get("book_times", f"/book_times/{loc}/{member}/{date}", query, location_id=loc)

- A fresh entry of the current availability generation is a hit: no upstream call. So is a fresh list of
  slots from before bookings, cancels or moves whose every change is noted (the gateway's own, or
  Altegio's webhooks): served patched without what they took (holds.py). An entry past its freshness or
  from before an unnoted change (older generation) is refreshed, and kept for stale-if-error.
- Otherwise one caller (a conditional lock item) asks Altegio; concurrent callers for the same key
  take the stale copy if there is one, else wait for the lock holder's entry. A holder the budget (or
  Altegio's 429) refused leaves that answer in the lock for its waiters: they would be refused the same,
  and waiting on or taking over from it only ran them into their own timeout ("Altegio is slow").
- Altegio's answer passes through unchanged (status, body); only 200s are stored.
- Altegio failing or rate-limiting: the stale copy (X-Cache: stale), else one derived from aged lists
  still exact as of every known change (derive.py; served stale too), else 502/504/503 (+ Retry-After)
  in Altegio's envelope. The budget spent: the same. Never a slot list from before a booking, unless patched
  without what the gateway's bookings took (holds.py).
- Refreshing a copy that may stand in is the budget's lowest priority: misses go first; for a moment
  after this container found the minute spent for refreshes, the copy is served without trying.
- While a warmer run is under way (cache.peek sees its item), a copy that merely aged, by at most its
  freshness again, is served at once (stale-while-revalidate): the warmer refreshes what visitors read
  lately, at the refresh priority their own refreshes had. A list of slots only where Altegio's webhooks
  are heard (cache.heard): elsewhere an unreported booking shows only when the list is refreshed.
- DynamoDB failing: a budgeted upstream call (X-Cache: bypass), never a failed request.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

from aws_lambda_powertools.event_handler import Response

from . import altegio_client, budget, cache, clock, hints_patch, holds, reads
from .allowlist import require_location
from .envelope import error_response, upstream_response
from .errors import NoBudget, Unanswered
from .observability import count, logger
from .operations import POLICIES, CachePolicy

LOCK_SECONDS = 14.0  # the holder's whole call (budget wait + timeouts) fits; a crashed holder's lock lapses
WAIT_FOR_PEER = 9.0  # a peer's refresh may wait on the budget; waiting beats a second upstream call
STALE_BUDGET_WAIT = 1.0  # with a stale copy in hand, wait this long at most for the budget
HEARD_FOR = 24 * 3600.0  # a location whose webhooks reported a record this recently has them working
PEER_QUICK = 2.0  # a peer's entry is looked for every 0.2 s this long, then every 0.5 s (each look is a read)
REQUEST_LIMIT = 12.0  # a read's whole time in the gateway (the functions' timeout is 15 s)


def _cache_headers(state: str, entry_age: float, fresh_left: float, availability: bool) -> dict[str, str]:
    # Availability can change with any booking: browsers must always come back to the gateway.
    control = "no-cache" if availability else f"max-age={max(0, int(fresh_left))}"
    return {"X-Cache": state, "Age": str(max(0, int(entry_age))), "Cache-Control": control}


def _from_entry(entry: cache.Entry, state: str, policy: CachePolicy) -> Response:
    now = clock.now()
    count({"hit": "CacheHit", "stale": "CacheStale"}[state])
    up = altegio_client.UpstreamResponse(200, entry.body.encode(), {})
    headers = _cache_headers(state, now - entry.fetched_at, entry.fresh_until - now, policy.availability)
    return upstream_response(up, headers)


def _unavailable(
    stale: cache.Entry | None, policy: CachePolicy, status: int, message: str, retry_after: int | None
) -> Response:
    if stale is not None:
        return _from_entry(stale, "stale", policy)
    headers = {"X-Cache": "miss", "Cache-Control": "no-store"}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return error_response(status, message, headers=headers)


def serve_get(
    operation: str,
    path: str,
    query: list[tuple[str, str]] | None = None,
    location_id: int | None = None,
    day: str | None = None,
    member: int | None = None,
    derive: Callable[..., cache.Entry | None] | None = None,
) -> Response:
    """Answer a read from the cache when fresh, else from Altegio (Altegio's answer passes through).
    `day`: the one day an availability answer covers (book_times), so only bookings that day expire it.
    `member`: whose times a list of slots holds (0: any), so one from before a booking can be patched.
    `derive`: computes the answer exactly from fresh cached lists (derive.py), or None: tried on a miss;
    from aged ones, it stands in where Altegio cannot be asked and no copy of the read's own may."""
    started = clock.monotonic()
    if location_id is not None:
        require_location(location_id)  # 404 before any cache access or upstream call
    policy = POLICIES[operation]
    query = sorted(set(query or []))
    scope = location_id if policy.availability else None
    key = cache.cache_key(operation, location_id, path, query)
    reads.note(reads.ReadKey(operation, path, tuple(query), location_id, day, member))  # for the warmer
    cache_ok = locked = True
    refusal: cache.Refusal | None = None  # what the budget answered this lock holder, left for its waiters
    outdated = False  # a list of slots from before a change, which nothing may stand in for
    stale: cache.Entry | None = None
    gen = cache.Gen()
    try:
        # With whether a peer holds the refresh lock (same request): then no try_lock that must fail.
        entry, gen, held, _, warming, heard = cache.peek(key, scope, day)
        entry = _settled(entry, policy, member)
        if entry is not None:
            if entry.gen == gen and clock.now() < entry.fresh_until:
                return _from_entry(entry, "hit", policy)
            # Past its freshness, or of an older generation (a booking there changed availability):
            # served only when Altegio cannot be asked (stale-if-error); a list of times only without
            # what the bookings since took, when that is known (holds.py), else never (DESIGN.md §3).
            stale = entry
            if entry.gen != gen and (policy.slots or operation in hints_patch.PATCHES):
                patched = patched_copy(operation, entry, gen, location_id, day, member, query)
                if patched is not None and clock.now() < patched.fresh_until:
                    count("CachePatched")  # every change since is known and taken out: no upstream call
                    return _from_entry(patched, "hit", policy)
                outdated = policy.slots and patched is None
                stale = patched if policy.slots else patched or entry  # a hint stands in anyway
        if derive is not None and (derived := derive()) is not None:
            count("CacheDerived")
            headers = {**_cache_headers("hit", 0, 0, policy.availability), "X-Cache-Source": "derived"}
            return upstream_response(altegio_client.UpstreamResponse(200, derived.body.encode(), {}), headers)
        if warming and _revalidated(stale, gen, policy, heard):
            count("CacheRevalidating")
            return _from_entry(stale, "stale", policy)  # the running warmer refreshes it (read lately)
        if _servable(stale, gen, policy) and budget.refresh_spent():
            return _from_entry(stale, "stale", policy)  # no refresh could go out now: skip the lock
        deadline = clock.monotonic() + WAIT_FOR_PEER
        while not (locked := not held and cache.try_lock(key, LOCK_SECONDS)):
            held = False  # after a wait, the lock is tried again
            if _servable(stale, gen, policy):
                return _from_entry(stale, "stale", policy)  # a peer is refreshing it
            # No copy, or one from before a booking: the peer's fresh answer is worth a short wait.
            waited = _wait_for_peer(key, scope, day, deadline)
            if isinstance(waited, cache.Refusal):  # the budget refused the holder: so it would this caller
                count("CoalescedRefusal")
                copy = (stale if waited.stale_if_error else None) or _stand_in(derive, gen)
                answer = waited.answer
                return _unavailable(copy, policy, answer.status, answer.message, answer.retry_after)
            waited = _settled(waited, policy, member)
            if waited is not None:
                return _from_entry(waited, "hit", policy)
            if clock.monotonic() >= deadline:  # the holder is alive but slow: adding a call won't help
                count("CoalesceTimeout")
                usable = stale if _servable(stale, gen, policy) else _stand_in(derive, gen)
                return _unavailable(usable, policy, 503, "Altegio is slow to answer; retry shortly.", 2)
            # else the holder let go without an entry (Altegio failed or answered an error): take over
        if locked:
            # A peer may have stored the entry and let go between our read and our lock: look again.
            entry, gen = cache.read(key, scope, day)
            entry = _settled(entry, policy, member)
            if entry is not None and entry.gen == gen and clock.now() < entry.fresh_until:
                return _from_entry(entry, "hit", policy)
    except cache.CacheUnavailable as exc:
        logger.warning("cache unavailable; answering from Altegio", extra={"error": type(exc).__name__})
        count("CacheBypass")
        cache_ok = locked = False
    try:
        limit = max(1.0, REQUEST_LIMIT - (clock.monotonic() - started))
        stand_in = functools.partial(_stand_in, derive if cache_ok else None, gen)
        response, refusal = _refresh(
            path, query, key, gen, stale, stand_in, cache_ok, policy, limit, outdated
        )
        return response
    finally:
        if locked:
            cache.unlock(key, refusal)


def patched_copy(
    operation: str,
    entry: cache.Entry,
    gen: cache.Gen,
    location_id: int | None,
    day: str | None,
    member: int | None,
    query: list[tuple[str, str]],
) -> cache.Entry | None:
    """A copy of an older generation without what the changes since took, as of `gen`: a list of times
    (holds.stand_in), or a list of dates or team members (hints_patch); None when that is not known."""
    if location_id is None:
        return None
    if POLICIES[operation].slots:
        return None if member is None else holds.stand_in(entry, gen, location_id, day or "days", member)
    patch = hints_patch.PATCHES.get(operation)
    return None if patch is None else patch(entry, gen, location_id, query)


def _settled(entry: cache.Entry | None, policy: CachePolicy, member: int | None) -> cache.Entry | None:
    """A list of slots without the times of bookings in flight on its day (holds.in_flight); None (ask
    Altegio) when it cannot be patched."""
    if entry is None or not entry.in_flight or not policy.slots:
        return entry
    return holds.in_flight(entry, member) if member is not None else None


def _servable(stale: cache.Entry | None, gen: cache.Gen, policy: CachePolicy) -> bool:
    """May this copy stand in while the budget is short or a peer refreshes it? One that merely aged, yes;
    one a booking made wrong only if it is a coarse hint, never a list of slots."""
    return stale is not None and (stale.gen == gen or not policy.slots)


def _revalidated(stale: cache.Entry | None, gen: cache.Gen, policy: CachePolicy, heard: float) -> bool:
    """May this copy be served without a refresh on the visitor's way, a warmer run being under way? One
    that merely aged (no change known since), for at most its freshness again: the warmer refreshes what
    visitors read lately (warmer.py), so a visitor does not wait for it. A list of slots only where
    Altegio's webhooks are heard (HEARD_FOR): elsewhere a booking made at the front desk shows only on a
    refresh, and served aged at once such lists showed about twice as many taken times in the bench."""
    now = clock.now()
    if stale is None or stale.gen != gen or now >= stale.fresh_until + policy.fresh:
        return False
    return not policy.slots or now - heard < HEARD_FOR


def _stand_in(derive: Callable[..., cache.Entry | None] | None, gen: cache.Gen) -> cache.Entry | None:
    """The read's answer derived from aged lists still exact as of every change known (derive.py), to be
    served as stale where Altegio cannot be asked and no copy of its own may stand in."""
    try:
        found = derive(aged=True) if derive is not None else None
    except cache.CacheUnavailable:
        return None
    if found is None:
        return None
    count("StandInDerived")
    return dataclasses.replace(found, gen=gen)


def _wait_for_peer(
    key: str, scope: int | None, day: str | None, deadline: float
) -> cache.Entry | cache.Refusal | None:
    """Another caller is fetching this key: wait for its entry instead of calling Altegio again.
    The refusal a holder left when the budget refused it; None when the holder lets go without leaving
    a fresh entry, or at the deadline."""
    pause, started = 0.03, clock.monotonic()
    while clock.monotonic() < deadline:
        clock.sleep(pause)
        # Most refreshes end within PEER_QUICK; one that waits on the budget is looked at less often.
        pause = min(0.2 if clock.monotonic() - started < PEER_QUICK else 0.5, pause * 1.5)
        # The run item only matters to a read's first look: a poll does not read it.
        entry, current, held, refusal, *_ = cache.peek(key, scope, day, with_run=False)
        if entry is not None and entry.gen == current and clock.now() < entry.fresh_until:
            return entry
        if refusal is not None:
            return refusal
        if not held:
            return None
    return None


def _refresh(
    path: str,
    query: list[tuple[str, str]],
    key: str,
    gen: cache.Gen,
    stale: cache.Entry | None,
    stand_in: Callable[[], cache.Entry | None],
    cache_ok: bool,
    policy: CachePolicy,
    time_limit: float,
    outdated: bool = False,
) -> tuple[Response, cache.Refusal | None]:
    """Altegio's answer, or the unavailable one; and, for a miss the budget refused for everyone, that
    refusal (for the waiters on this caller's lock). `stand_in`: a derived copy when none of its own may."""
    fetched_at = clock.now()
    # With a copy that may stand in, the refresh is the budget's lowest priority (misses first) and waits
    # little; a slot list from before a booking is known to be wrong, so its refresh waits like a miss
    # (and the copy is served only if Altegio itself fails).
    usable = _servable(stale, gen, policy)
    try:
        up = altegio_client.call(
            "GET",
            path,
            query=query,
            idempotent=True,
            priority="refresh" if usable else "read",
            budget_wait=STALE_BUDGET_WAIT if usable else None,
            time_limit=time_limit,
        )
    except Unanswered as exc:
        # The budget's own no stands a copy in only if it may stand in; Altegio failing, any kept copy.
        if not exc.stale_if_error and not usable:
            count("RefusedOutdated" if outdated or stale is not None else "RefusedNoCopy")
        answer = exc.answer("cached")
        copy = stale if exc.stale_if_error or usable else None
        copy = copy or stand_in()
        refusal = None
        if isinstance(exc, NoBudget) and exc.shared and not usable and answer.retry_after:
            refusal = cache.Refusal(answer, exc.stale_if_error)
        return _unavailable(copy, policy, answer.status, answer.message, answer.retry_after), refusal
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
    return upstream_response(up, headers), None
