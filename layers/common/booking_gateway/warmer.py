"""The warmer (functions/warmer, every minute; the local stack runs it on the same schedule and at start):
keeps fresh what visitors are about to ask, on budget they leave unused (budget.py's "warm" priority).

    warmer.run(seconds=50)     # passes until `seconds` are over (a scheduled run)
    warmer.run(60, until_warm=True)   # ... or until a pass finds everything fresh (tests, the bench)

Each pass plans, most wanted first, and refreshes what is missing or within LEAD of going stale:
1. the booking forms, and each location's services and team members (the page's first requests);
2. what visitors read lately (reads.py), as they asked it: dates, team members, times, nearest slots
   (none of it asked for while derive.py answers it from fresher cached data);
3. times of the next DAYS days for the team member and service pairs read lately, and for "any" also of
   each team member who provides the services, before "any" (derive.py answers book_staff at a datetime
   and "any"'s times from those: while they are fresh, "any"'s own list is not asked for);
4. dates of this month and the next for the date reads seen lately (the page asks two months at a time).
5. once, for a location no visitor read lately (after a deploy or a start, before the first visitor): what
   a new visitor asks first for each service the location lists, "any" team member first, then each
   member (first_visits). Only filled when missing (asked even where derive.py could answer it: a copy
   stands in while the budget is spent, a derivation only while its sources are fresh), and a visitor's
   read makes it step 2. With nobody else calling, the budget lets the warmer spend more of the minute
   (budget.WARM_IDLE_UNTIL).
"Today" is the location's (its visitors ask for its dates): its UTC offset as the times it answered carry
it (utc_offset); until one is cached, the days from UTC's yesterday on, which hold every zone's today.
A refresh takes the key's refresh lock like any read (no call twice) and stores the answer as read_path
would. The first refusal of the budget ends the pass: the warmer yields at once to visitors. A copy
already aged is asked at the priority of a visitor's refresh instead (visitors are served it meanwhile:
read_path's stale-while-revalidate), and when refused asked again in place a moment later, for a while.
One run at a time across containers (item `warmer#run`), so overlapping schedules never double the calls.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator

from . import altegio_client, budget, cache, clock, derive, dynamo, read_path, reads
from .errors import BudgetExhausted, Unanswered
from .observability import count, logger
from .operations import POLICIES
from .reads import ReadKey
from .settings import get_settings

RUN_SECONDS = 50.0  # a scheduled run: the schedule is every minute
LEAD = 8.0  # refresh an entry this long before its freshness ends, so a visitor finds it fresh
DAYS = 3  # days of times warmed per pair read lately
FIRST_DAYS = 5  # bookable days of times filled per service before any visitor (the page's first picks)
PAIRS = 6  # most read team member and service pairs warmed
BUDGET_WAIT = 2.0  # the warmer waits this long at most for a slot (visitors' reads take it first)
LOCK_SECONDS = 10.0
IDLE_MAX = 5.0  # between passes, sleep until the next entry is due, at most this long
AGED_RETRY_FOR = 10.0  # a refused refresh of an aged copy is asked again in place this long, then replanned
# A slot's "datetime": "2026-12-06T09:00:00-05:00" (or a colon-less offset, as records carry it).
_DATETIME = re.compile(r'"datetime"\s*:\s*"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:([+-])(\d\d):?(\d\d)|Z)"')


class _AgedRefused(BudgetExhausted):
    """The budget refused the refresh of a copy visitors are served aged: asked again as soon as a
    visitor's refresh would be (budget.REFRESH_MEMO), not after the next plan."""


def _read(key: ReadKey) -> tuple[str, cache.Entry | None, cache.Gen, int | None]:
    policy = POLICIES[key.operation]
    scope = key.location_id if policy.availability else None
    ckey = cache.cache_key(key.operation, key.location_id, key.path, list(key.query))
    entry, gen = cache.read(ckey, scope, key.day)
    return ckey, entry, gen, scope


def warm(key: ReadKey, fill: bool = False) -> tuple[str, float]:
    """Refresh one key if it is due (`fill`: only if no copy is kept): ("fresh" | "refreshed" | "derived"
    (answered from fresher lists) | "busy" (another caller refreshes it) | "failed", when it is next
    due). Raises BudgetExhausted when the budget has nothing for the warmer now."""
    ckey, entry, gen, _ = _read(key)
    now = clock.now()
    if fill and entry is not None:
        return "fresh", entry.expires_at
    aged = False  # visitors are served this copy past its freshness (read_path, while a run is under way)
    if entry is not None and not entry.in_flight:
        # From before changes that only took time, it is served patched as a hit (read_path): as fresh.
        current = (
            entry
            if entry.gen == gen
            else read_path.patched_copy(
                key.operation, entry, gen, key.location_id, key.day, key.member, list(key.query)
            )
        )
        if current is not None and current.fresh_until - LEAD > now:
            return "fresh", current.fresh_until - LEAD
        aged = current is not None and current.fresh_until <= now
    # A fill is a copy to stand in while the budget is spent: a derivation ages with its sources.
    derived = (
        None if fill else derive.fresh_until(key.operation, key.location_id, key.member, key.day, key.query)
    )
    if derived is not None and derived - LEAD > now:
        count("WarmerDerived")  # visitors are answered from fresher cached lists (derive.py): no call
        return "derived", derived - LEAD
    if not cache.try_lock(ckey, LOCK_SECONDS):
        return "busy", now + 1
    try:
        fetched_at = clock.now()
        up = altegio_client.call(
            "GET",
            key.path,
            query=list(key.query),
            idempotent=True,
            # An aged copy visitors are served meanwhile: the priority their own refresh had (read_path).
            priority="refresh" if aged else "warm",
            budget_wait=BUDGET_WAIT,
            time_limit=LOCK_SECONDS - 1,
        )
        policy = POLICIES[key.operation]
        if up.status != 200:
            return "failed", fetched_at + policy.fresh
        cache.write(ckey, up.body.decode("utf-8", "replace"), fetched_at, policy.fresh, policy.keep, gen)
        count("WarmerRefresh")
        return "refreshed", fetched_at + policy.fresh - LEAD
    except BudgetExhausted as spent:
        if aged:
            raise _AgedRefused(spent.retry_after) from spent
        raise
    except Unanswered as exc:
        logger.info("warmer: no answer", extra={"operation": key.operation, "error": type(exc).__name__})
        return "failed", clock.now() + IDLE_MAX
    finally:
        cache.unlock(ckey)


# -- what to keep fresh --------------------------------------------------------------------------------
def _times(loc: int, member: int, day: str, query: tuple) -> ReadKey:
    return ReadKey("book_times", f"/book_times/{loc}/{member}/{day}", query, loc, day, member)


def _members(loc: int, query: tuple) -> list[int]:
    """Team members who provide the services, from the cached book_staff list for them (no call)."""
    services = tuple(p for p in query if p[0] == "service_ids[]")
    listed = _data(ReadKey("book_staff", f"/book_staff/{loc}", services, loc))
    try:
        return [int(m["id"]) for m in listed or [] if isinstance(m, dict)]
    except (ValueError, TypeError, KeyError):
        return []


def plan(hot: list[tuple[int, ReadKey]] | None = None) -> list[ReadKey]:
    """Everything worth keeping fresh now, most wanted first, each once."""
    settings = get_settings()
    hot = reads.hot() if hot is None else hot
    out = [ReadKey("bookform", f"/bookform/{i}") for i in sorted(settings.allowed_bookform_ids)]
    for loc in sorted(settings.allowed_location_ids):
        out += [
            ReadKey("book_services", f"/book_services/{loc}", (), loc),
            ReadKey("book_staff", f"/book_staff/{loc}", (), loc),
        ]
    today = {loc: local_today(loc, hot) for loc in settings.allowed_location_ids}
    lately = [
        key
        for _, key in hot
        if key.location_id in settings.allowed_location_ids and not _past(key, today.get(key.location_id))
    ]
    pairs = Counter()
    for n, key in hot:
        if key.operation == "book_times" and key.member is not None and key.location_id is not None:
            pairs[(key.location_id, key.member, key.query)] += n
    warmed: list[ReadKey] = []
    for (loc, member, query), _ in pairs.most_common(PAIRS):
        # "Any" after its members: from their fresh lists it is derived (derive.py), with no call.
        who = [*(_members(loc, query) if member == 0 else []), member]
        warmed += [_times(loc, m, day, query) for day in _days(today.get(loc)) for m in who]
    after_members = {k for k in warmed if k.member == 0}
    out += [k for k in lately if k not in after_members] + warmed
    out += [
        _this_and_next_month(key, today.get(key.location_id) or clock.today())
        for key in lately
        if key.operation == "book_dates"
    ]
    allowed = {None, *settings.allowed_location_ids}
    return list(_unique(k for k in out if k is not None and k.location_id in allowed))


def utc_offset(loc: int, hot: list[tuple[int, ReadKey]]) -> dt.timedelta | None:
    """The location's UTC offset, from the first cached answer read lately whose times carry one (Altegio
    gives every slot's `datetime` with the location's offset); None while none is cached."""
    for _, key in hot:
        if key.location_id != loc or key.operation not in ("book_times", "book_staff_seances"):
            continue
        _, entry, _, _ = _read(key)
        found = _DATETIME.search(entry.body) if entry is not None else None
        if found:
            sign, hours, minutes = found.groups()
            if sign is None:  # "Z"
                return dt.timedelta(0)
            return (-1 if sign == "-" else 1) * dt.timedelta(hours=int(hours), minutes=int(minutes))
    return None


def local_today(loc: int, hot: list[tuple[int, ReadKey]]) -> dt.date | None:
    """The location's date now (clock.today at its offset); None while its offset is unknown."""
    offset = utc_offset(loc, hot)
    return None if offset is None else clock.today(offset)


def _past(key: ReadKey, today: dt.date | None) -> bool:
    """A day's read from before the location's today: nobody books it any more."""
    return key.day is not None and today is not None and key.day < today.isoformat()


def _days(today: dt.date | None) -> list[str]:
    """The DAYS days from the location's today; unknown: from UTC's yesterday, one day more (every zone's
    today is UTC's yesterday, today or tomorrow)."""
    if today is None:
        first, n = clock.today() - dt.timedelta(days=1), DAYS + 1
    else:
        first, n = today, DAYS
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(n)]


def _data(key: ReadKey) -> object:
    """The `data` of the key's cached answer (None when there is none or it is not Altegio's envelope)."""
    _, entry, _, _ = _read(key)
    try:
        return json.loads(entry.body).get("data") if entry is not None else None
    except (ValueError, AttributeError):
        return None


def _body(key: ReadKey) -> dict:
    """The `data` of the key's cached answer ({} when none or not an object)."""
    data = _data(key)
    return data if isinstance(data, dict) else {}


def _query(**params: object) -> tuple[tuple[str, str], ...]:
    """As read_path keys a read: pairs sorted (services as `service_ids[]`)."""
    pairs = {(k if k != "service" else "service_ids[]", str(v)) for k, v in params.items()}
    return tuple(sorted(pairs))


def first_visits(hot: list[tuple[int, ReadKey]]) -> list[ReadKey]:
    """For each allowed location no visitor read lately, what a new visitor asks first, service by service
    as the location lists them: the team members, then for "any" team member (the page's default) and for
    each member who provides the service, the nearest slots, this month's and the next's days and the times
    of the first bookable days (once those days are cached: a later pass). In rounds over all services, the
    most asked first ("any" before the members, the first two days before the rest), so a pre-warm cut
    short by the budget leaves no service without its first answers."""
    settings = get_settings()
    read_lately = {key.location_id for _, key in hot}
    rounds: list[list[ReadKey]] = [[], [], [], [], [], []]
    today = clock.today()  # no offset known yet: UTC's month (the span covers the next one too)
    first, last = clock.first_of_month(today), clock.first_of_month(today, 2) - dt.timedelta(days=1)
    for loc in sorted(settings.allowed_location_ids - read_lately):
        listed = _body(ReadKey("book_services", f"/book_services/{loc}", (), loc)).get("services") or []
        for service in [s["id"] for s in listed if isinstance(s, dict) and "id" in s]:
            staff = ReadKey("book_staff", f"/book_staff/{loc}", _query(service=service), loc)
            rounds[0].append(staff)
            for member in [0, *_members(loc, staff.query)]:
                dates = ReadKey(
                    "book_dates",
                    f"/book_dates/{loc}",
                    _query(service=service, staff_id=member, date_from=first, date_to=last),
                    loc,
                )
                seances = ReadKey(
                    "book_staff_seances",
                    f"/book_staff_seances/{loc}/{member}",
                    _query(service=service),
                    loc,
                    None,
                    member,
                )
                days = sorted(d for d in _body(dates).get("booking_dates") or [] if isinstance(d, str))
                times = [_times(loc, member, day, _query(service=service)) for day in days[:FIRST_DAYS]]
                at = 0 if member == 0 else 1  # "any": rounds 0, 2, 4; a member: 1, 3, 5
                rounds[at] += [seances, dates]
                rounds[at + 2] += times[:2]
                rounds[at + 4] += times[2:]
    return [key for keys in rounds for key in keys]


def _this_and_next_month(key: ReadKey, today: dt.date) -> ReadKey | None:
    """A date read seen lately, asked for this month and the next (the page's span) instead."""
    params = dict(key.query)
    if "date_from" not in params:
        return None
    first = clock.first_of_month(today)
    last = clock.first_of_month(today, 2) - dt.timedelta(days=1)
    old_to = params.get("date_to")
    if old_to and old_to < last.isoformat():  # the page caps the span at its booking horizon
        last = dt.date.fromisoformat(old_to) if old_to > first.isoformat() else last
    query = tuple(
        sorted(
            [(k, v) for k, v in key.query if k not in ("date_from", "date_to")]
            + [("date_from", first.isoformat()), ("date_to", last.isoformat())]
        )
    )
    return ReadKey("book_dates", key.path, query, key.location_id)


def _unique(keys) -> Iterator[ReadKey]:
    seen = set()
    for key in keys:
        if key not in seen:
            seen.add(key)
            yield key


# -- the run -------------------------------------------------------------------------------------------
def _take_run(seconds: float) -> bool:
    """Become the one warmer running for the next `seconds` (a conditional write)."""
    now = clock.now()
    try:
        dynamo.client().put_item(
            TableName=get_settings().cache_table,
            Item={
                "pk": dynamo.s(cache.WARMER_RUN),
                "until": dynamo.n(round(now + seconds, 3)),
                "expires_at": dynamo.n(int(now + seconds) + 600),
            },
            ConditionExpression="attribute_not_exists(pk) OR #u < :now",
            ExpressionAttributeNames={"#u": "until"},
            ExpressionAttributeValues={":now": dynamo.n(round(now, 3))},
        )
        return True
    except dynamo.Unavailable as exc:
        if not (hasattr(exc, "response") and dynamo.conditional_failed(exc)):
            logger.warning("warmer: run lock unavailable", extra={"error": type(exc).__name__})
        return False


def _end_run() -> None:
    try:
        key = {"pk": dynamo.s(cache.WARMER_RUN)}
        dynamo.client().delete_item(TableName=get_settings().cache_table, Key=key)
    except dynamo.Unavailable:
        logger.warning("warmer: run lock not released; it lapses by itself")


def one_pass(end: float | None = None, fill: bool = True) -> tuple[Counter, float]:
    """Warm what is due, in plan order, until `end` (clock.monotonic; a run's end: the pass stops there
    so the run ends within its time); `fill`: also what new visitors ask first. (What happened, when the
    next key is due.)"""
    reads.flush()
    done: Counter = Counter()
    next_due = clock.now() + IDLE_MAX
    hot = reads.hot()
    planned = plan(hot)
    keep = set(planned)
    work = [(key, False) for key in planned] + [
        (key, True) for key in (_unique(first_visits(hot)) if fill else ()) if key not in keep
    ]
    for key, fill_only in work:
        retry_until = None
        while True:
            if end is not None and clock.monotonic() >= end:
                done["unfinished"] += 1
                return done, clock.now()
            try:
                state, due = warm(key, fill_only)
                break
            except _AgedRefused:
                # Visitors are served it aged until it is refreshed: ask again in a moment, in place.
                retry_until = retry_until or clock.monotonic() + AGED_RETRY_FOR
                if clock.monotonic() + budget.REFRESH_MEMO < retry_until:
                    done["retried"] += 1
                    clock.sleep(budget.REFRESH_MEMO)
                    continue
                done["yielded"] += 1
                return done, clock.now()
            except BudgetExhausted as spent:
                done["yielded"] += 1
                return done, clock.now() + min(spent.retry_after, IDLE_MAX)
            except cache.CacheUnavailable as exc:
                logger.warning("warmer: cache unavailable", extra={"error": type(exc).__name__})
                done["failed"] += 1
                return done, clock.now() + IDLE_MAX
        done[state] += 1
        next_due = min(next_due, due)
    return done, next_due


def run(seconds: float = RUN_SECONDS, until_warm: bool = False, fill: bool = True) -> dict:
    """Passes until `seconds` are over (or, until_warm, a pass finds everything fresh); what was done.
    `fill=False`: without first_visits (tests of the rest)."""
    if not _take_run(seconds + LOCK_SECONDS):
        return {"skipped": "another warmer run is under way"}
    total: Counter = Counter()
    end = clock.monotonic() + seconds
    n = 0
    try:
        while True:
            done, next_due = one_pass(end, fill)
            total.update(done)
            n += 1
            if until_warm and set(done) <= {"fresh", "derived", "failed"}:
                break
            wait = min(max(0.2, next_due - clock.now()), IDLE_MAX)
            if clock.monotonic() + wait >= end:
                break
            clock.sleep(wait)
    finally:
        _end_run()
    logger.info("warmer run", extra={"passes": n, **total})
    return {"passes": n, **total}


def handler(event: dict) -> dict:
    """A schedule's event (EventBridge), or {"seconds": s, "until_warm": true, "fill": false} from a test
    or the bench."""
    event = event if isinstance(event, dict) else {}
    return run(
        float(event.get("seconds", RUN_SECONDS)),
        bool(event.get("until_warm")),
        fill=event.get("fill", True) is not False,
    )
