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
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable

from . import cache, clock, read_path
from .observability import logger


def staff_at(
    location_id: int, service_ids: list[int] | None, when: str | None
) -> Callable[[], str | None] | None:
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


def _fresh(
    operation: str, location_id: int, path: str, query: list, day: str | None, member: int = 0
) -> cache.Entry | None:
    """The entry while fresh: of the current generation, or from before changes that only took time and
    patched without them (read_path.patched_copy)."""
    entry, gen = cache.read(cache.cache_key(operation, location_id, path, query), location_id, day)
    if entry is None or entry.in_flight:
        return None
    if entry.gen != gen:
        entry = read_path.patched_copy(operation, entry, gen, location_id, day, member, query)
    if entry is None or clock.now() >= entry.fresh_until:
        return None
    return entry


def _staff_at(location_id: int, services: list[int], at: dt.datetime) -> str | None:
    query = [("service_ids[]", str(s)) for s in services]
    listed = _fresh("book_staff", location_id, f"/book_staff/{location_id}", query, None)
    if listed is None:
        return None
    try:
        envelope = json.loads(listed.body)
        members = envelope["data"]
        day, instant = at.date().isoformat(), at.timestamp()
        free = {}
        for member in members:
            path = f"/book_times/{location_id}/{int(member['id'])}/{day}"
            times = _fresh("book_times", location_id, path, query, day, int(member["id"]))
            if times is None:
                return None
            slots = json.loads(times.body)["data"]
            starts = {dt.datetime.fromisoformat(s["datetime"]).timestamp() for s in slots}
            free[member["id"]] = instant in starts
    except (ValueError, KeyError, TypeError) as exc:  # an answer of another shape: Altegio decides
        logger.info("book_staff not derived", extra={"error": type(exc).__name__})
        return None
    data = []
    for member in members:
        out = {k: v for k, v in member.items() if k != "seance_date"}
        out["bookable"] = free[member["id"]]
        if out["bookable"]:
            out["seance_date"] = day
        data.append(out)
    return json.dumps({**envelope, "data": data}, ensure_ascii=False)
