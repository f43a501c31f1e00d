"""Answers computed exactly from fresher cached data instead of an upstream call (read_path's `derive`).

    serve_get("book_staff", path, query, location_id, derive=derive.staff_at(location_id, ids, when))

`book_staff?service_ids[]=...&datetime=D` (how the page names a team member for "any", and a partner asks
who is free at a time) lists every team member who provides the services, each `bookable` (and with
`seance_date`) exactly when D is one of that member's times that day for those services. So when the
cache holds, fresh and of the current availability generation, the team members for the services
(book_staff without datetime) and that day's book_times of each of them, the answer is those members
with `bookable` and `seance_date` set from the lists: no call, no budget. A list from before changes that
only took time serves patched without them while it is fresh (holds.py, hints_patch.py). If any list is
missing, stale, from before another change or has a booking in flight, Altegio is asked as before. The
day is D's own date: Altegio's datetimes carry the location's offset. A Unix timestamp (no offset, so no
known day) is asked. Every derived answer is checked against the sandbox's own (test_gw_derive.py,
test_wr_webhooks.py).

    serve_get("book_times", path, query, location_id, day=..., member=0, derive=derive.any_times(...))

`book_times` for team member 0 ("any", the page's default) is the union of the times of every team member
who provides the services that day: a time is listed when at least one of them is free then. From the
same fresh lists (the warmer keeps each member's fresh for the "any" pairs read lately) it is the times
of all of them, in time order, each once; asked instead when two lists give one time different fields
(a member's own service length), when no member provides the services, or when a list is not fresh.

    serve_get("book_staff_seances", path, query, location_id, member=m, derive=derive.nearest(...))

`book_staff_seances` without a `datetime` (the nearest free times from today, the page's first question
on its date step) is the first bookable day from the location's today and that day's times. Both are in
the cache when fresh: the days as the page asks them (book_dates for the team member, from the first of
this month to the end of the next) and that day's list of times (for "any", its own or derived as above).
Its first day from today (the location's, by the offset its times carry) is the answer's `seance_date`,
its times the `seances`. Asked when either is missing or not fresh, when no day is left in the span, or
when the day's list is empty (changed since).

Aged (`derivation(aged=True)`, read_path's stand-in): the same answer from sources past their freshness
but still exact as of every change known (current generation, or patched without the changes since, no
booking in flight). It stands in, served as stale, only where Altegio cannot be asked (the budget spent,
Altegio failing) and the read has no copy of its own that may: an aged copy of the answer itself, made
of the same lists, would be served then.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable

from . import cache, clock, read_path
from .observability import logger

_DAY = dt.timedelta(days=1)


def _of(answer: object, sources: list[cache.Entry]) -> cache.Entry:
    """A derived answer as an entry: fresh, fetched and kept as long as the first of its sources (its
    generation is the reader's: read_path sets it)."""
    return cache.Entry(
        json.dumps(answer, ensure_ascii=False),
        min(s.fetched_at for s in sources),
        min(s.fresh_until for s in sources),
        min(s.expires_at for s in sources),
        cache.Gen(),
    )


def staff_at(
    location_id: int, service_ids: list[int] | None, when: str | None
) -> Callable[..., cache.Entry | None] | None:
    """The derivation of book_staff at `when` (the canonical query value), or None when there is none."""
    if not when or when.isdigit():
        return None
    try:
        at = dt.datetime.fromisoformat(when)
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return functools.partial(_staff_at, location_id, sorted(set(service_ids or [])), at)


def _kept(
    operation: str,
    location_id: int,
    path: str,
    query: list,
    day: str | None,
    member: int = 0,
    aged: bool = False,
) -> cache.Entry | None:
    """The entry while fresh (`aged`: also while kept past it): of the current generation, or from before
    changes that only took time and patched without them (read_path.patched_copy)."""
    entry, gen = cache.read(cache.cache_key(operation, location_id, path, query), location_id, day)
    if entry is None or entry.in_flight:
        return None
    if entry.gen != gen:
        entry = read_path.patched_copy(operation, entry, gen, location_id, day, member, query)
    if entry is None or (not aged and clock.now() >= entry.fresh_until):
        return None
    return entry


def _members_times(
    location_id: int, query: list, day: str, aged: bool
) -> tuple[dict, list[tuple[dict, dict]], list[cache.Entry]] | None:
    """book_staff's envelope for the services, each member listed there with their list of times that day
    (its envelope), and the entries read; None unless all are kept (fresh, unless `aged`).
    Raises ValueError, KeyError or TypeError on an answer of another shape."""
    listed = _kept("book_staff", location_id, f"/book_staff/{location_id}", query, None, aged=aged)
    if listed is None:
        return None
    envelope, out, sources = json.loads(listed.body), [], [listed]
    for member in envelope["data"]:
        path = f"/book_times/{location_id}/{int(member['id'])}/{day}"
        times = _kept("book_times", location_id, path, query, day, int(member["id"]), aged)
        if times is None:
            return None
        out.append((member, json.loads(times.body)))
        sources.append(times)
    return envelope, out, sources


def _staff_at(
    location_id: int, services: list[int], at: dt.datetime, aged: bool = False
) -> cache.Entry | None:
    query = [("service_ids[]", str(s)) for s in services]
    day, instant = at.date().isoformat(), at.timestamp()
    try:
        found = _members_times(location_id, query, day, aged)
        if found is None:
            return None
        envelope, members, sources = found
        free = {
            member["id"]: instant
            in {dt.datetime.fromisoformat(s["datetime"]).timestamp() for s in times["data"]}
            for member, times in members
        }
    except (ValueError, KeyError, TypeError) as exc:  # an answer of another shape: Altegio decides
        logger.info("book_staff not derived", extra={"error": type(exc).__name__})
        return None
    data = []
    for member, _ in members:
        out = {k: v for k, v in member.items() if k != "seance_date"}
        out["bookable"] = free[member["id"]]
        if out["bookable"]:
            out["seance_date"] = day
        data.append(out)
    return _of({**envelope, "data": data}, sources)


def any_times(
    location_id: int, member: int, day: str, service_ids: list[int] | None
) -> Callable[..., cache.Entry | None] | None:
    """The derivation of book_times for "any" team member (member 0) that day, or None (a member's own)."""
    if member != 0:
        return None
    return functools.partial(times_of_any, location_id, sorted(set(service_ids or [])), day)


def times_of_any(location_id: int, services: list[int], day: str, aged: bool = False) -> cache.Entry | None:
    """The times of "any" team member that day from each member's kept list; None when not exactly known."""
    query = [("service_ids[]", str(s)) for s in services]
    try:
        found = _members_times(location_id, query, day, aged)
        if found is None or not found[1]:
            return None
        _, members, sources = found
        slots = union([times["data"] for _, times in members])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # another shape: Altegio decides
        logger.info("book_times not derived", extra={"error": type(exc).__name__})
        return None
    if slots is None:
        return None
    return _of({**members[0][1], "data": slots}, sources)


def union(lists: list[list[dict]]) -> list[dict] | None:
    """Every time of the lists, once, in time order; None when two lists give one time different fields."""
    by_start: dict[float, dict] = {}
    for slots in lists:
        for slot in slots:
            start = dt.datetime.fromisoformat(slot["datetime"]).timestamp()
            if by_start.setdefault(start, slot) != slot:
                return None
    return [by_start[start] for start in sorted(by_start)]


def nearest(
    location_id: int, member: int, service_ids: list[int] | None, when: str | None
) -> Callable[..., cache.Entry | None] | None:
    """The derivation of book_staff_seances from today, or None (from another date: asked)."""
    if when is not None:
        return None
    return functools.partial(nearest_times, location_id, member, sorted(set(service_ids or [])))


def nearest_times(
    location_id: int, member: int, services: list[int], aged: bool = False
) -> cache.Entry | None:
    """The team member's nearest free times from the location's today, from the cached days the page asks
    and that day's times; None when not exactly known."""
    query = [("service_ids[]", str(s)) for s in services]
    utc = clock.today()
    # The location's today is UTC's yesterday, today or tomorrow: the page asked from the first of its month.
    for month in sorted({clock.first_of_month(utc - _DAY), clock.first_of_month(utc + _DAY)}):
        span = [("date_from", month.isoformat()), ("staff_id", str(member))]
        span.append(("date_to", (clock.first_of_month(month, 2) - _DAY).isoformat()))
        dates = _kept("book_dates", location_id, f"/book_dates/{location_id}", query + span, None, aged=aged)
        if dates is None:
            continue
        try:
            days = sorted(json.loads(dates.body)["data"]["booking_dates"])
            for day in days:
                times = _day_times(location_id, member, day, services, aged)
                envelope = None if times is None else json.loads(times.body)
                if envelope is None or not envelope["data"]:
                    return None  # not known, or changed since the days were listed: asked
                offset = dt.datetime.fromisoformat(envelope["data"][0]["datetime"]).utcoffset()
                today = clock.today(offset or dt.timedelta(0)).isoformat()
                if month.isoformat() > today:
                    break  # the span starts after the location's today: days before it are not listed
                if day < today:
                    continue  # listed before its midnight
                answer = {"seance_date": day, "seances": envelope["data"]}
                return _of({**envelope, "data": answer}, [times, dates])
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:  # Altegio decides
            logger.info("book_staff_seances not derived", extra={"error": type(exc).__name__})
            return None
    return None


def _day_times(
    location_id: int, member: int, day: str, services: list[int], aged: bool
) -> cache.Entry | None:
    """The member's list of times that day (for "any", its own or derived)."""
    path = f"/book_times/{location_id}/{member}/{day}"
    query = [("service_ids[]", str(s)) for s in services]
    entry = _kept("book_times", location_id, path, query, day, member, aged)
    if entry is not None or member != 0:
        return entry
    return times_of_any(location_id, services, day, aged)


def fresh_until(
    operation: str, location_id: int | None, member: int | None, day: str | None, query: tuple
) -> float | None:
    """Until when this read is answered derived (the warmer need not ask for it); None: it is not."""
    try:
        services = sorted({int(v) for k, v in query if k == "service_ids[]"})
    except ValueError:
        return None
    if location_id is None or member is None:
        return None
    found = None
    if operation == "book_times" and member == 0 and day is not None:
        found = times_of_any(location_id, services, day)
    elif operation == "book_staff_seances" and all(k == "service_ids[]" for k, _ in query):
        found = nearest_times(location_id, member, services)
    return None if found is None else found.fresh_until
