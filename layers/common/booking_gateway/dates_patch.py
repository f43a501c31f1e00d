"""A list of bookable dates (book_dates) from before changes that only took time, without asking Altegio.

Every booking, cancel and move (the gateway's own, or Altegio's webhooks) bumps the location's hints, so
each list of dates would be asked again after each change: at a busy front desk, most of the budget.
Taking time can only remove a date, and only when it takes the day's last free time. So when every change
since the list was fetched is a noted one that only took time (holds.py, notes name their days), each
changed day the list offers is looked up in the cached list of times of the same team member (0: any) and
services, patched with what was taken since: times left, the date stays; none (a team member's list,
fetched after the dates), it goes. A change of another team member leaves a team member's dates as they
were. When that is not known (no list of times cached; "any" patched empty, which takes out anyone's
times; a change that freed time, so a date may come back), the list is asked again (read_path).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from . import cache, holds
from .observability import count


def stand_in(
    entry: cache.Entry, gen: cache.Gen, location_id: int, query: list[tuple[str, str]]
) -> cache.Entry | None:
    """`entry` (book_dates' answer) as of `gen` without the dates the changes since filled, as fresh as it
    was; None when that is not known. Never raises."""
    try:
        changes = holds.changes_since(entry.gen, gen, location_id, "days")
        if changes is None or changes.freed or changes.days is None:
            return None
        staff = int(dict(query).get("staff_id") or 0)
        services = sorted(int(v) for k, v in query if k == "service_ids[]")
        body = json.loads(entry.body)
        offered = body["data"]["booking_dates"]
        changed = sorted(changes.days & set(offered))
        if staff and all(m and m != staff for m, _, _ in changes.taken):
            changed = []  # only other team members' time was taken
        full = []
        for day in changed:
            left = _times_left(location_id, staff, day, services, entry.fetched_at)
            if left is None:
                return None
            if not left:
                full.append(day)
        if full:
            body["data"] = _without_dates(body["data"], full)
    except (*cache.CacheUnavailable, ValueError, KeyError, TypeError, AttributeError):
        return None
    count("DatesPatched")
    return dataclasses.replace(entry, body=json.dumps(body, ensure_ascii=False), gen=gen)


def _times_left(location_id: int, staff: int, day: str, services: list[int], since: float) -> bool | None:
    """Has `staff` (0: anyone) a free time on `day` for the services after every noted change: True,
    False, or None (not known: no list of times cached, a change not noted; for "any", the patch takes out
    anyone's times, so an empty one proves nothing; with time freed, or from before `since` (the dates'
    fetch), a day found full may have had time again)."""
    entry, gen = cache.read(holds.times_key(location_id, staff, day, services), location_id, day)
    if entry is None or entry.status != 200:
        return None
    taken, freed = [], False
    if entry.gen != gen:
        changes = holds.changes_since(entry.gen, gen, location_id, day)
        if changes is None:
            return None
        taken, freed = changes.taken, changes.freed
    if holds.without(json.loads(entry.body)["data"], taken, staff):
        return True
    return None if not staff or freed or entry.fetched_at < since else False


def _without_dates(data: dict, full: list[str]) -> dict:
    """book_dates' data without these dates in `booking_dates` and `booking_days` (month -> day numbers,
    no year: a day number stays while another year's same date is still offered)."""
    dates = [d for d in data["booking_dates"] if d not in full]
    kept = {(date.fromisoformat(d).month, date.fromisoformat(d).day) for d in dates}
    gone = {(date.fromisoformat(d).month, date.fromisoformat(d).day) for d in full} - kept
    out = {**data, "booking_dates": dates}
    if isinstance(data.get("booking_days"), dict):
        days = {m: [n for n in ns if (int(m), int(n)) not in gone] for m, ns in data["booking_days"].items()}
        out["booking_days"] = {m: ns for m, ns in days.items() if ns}
    return out
