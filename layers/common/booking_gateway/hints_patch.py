"""Lists of dates and of team members from before changes that only took time, without asking Altegio.

Every booking, cancel and move (the gateway's own, or Altegio's webhooks) bumps the location's hints, so
each of them would be asked again after each change: at a busy front desk, most of the budget. Taking
time can only take a date away, or move a team member's nearest day (`seance_date`) later, and only when
it takes that day's last free time. So when every change since the hint was fetched is a noted one that
only took time (holds.py; notes name their days), each changed day the hint offers is looked up in the
cached list of times of the same team member (0: any) and services, patched with what was taken since:
 - book_dates: times left, the date stays; none (a team member's list, fetched after the dates), it goes;
 - book_staff (without a datetime): a member's nearest day keeps times left, the member stays as listed.
A change of another team member leaves a team member's as they were. When that is not known (no list of
times cached; "any" patched empty, which takes out anyone's times; a nearest day filled, whose successor
is not known here; a change that freed time, so a day may come back), the hint is asked again
(read_path). At a datetime, book_staff is derive.py's.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from . import cache, holds
from .observability import count


def dates(
    entry: cache.Entry, gen: cache.Gen, location_id: int, query: list[tuple[str, str]]
) -> cache.Entry | None:
    """`entry` (book_dates' answer) as of `gen` without the dates the changes since filled, as fresh as it
    was; None when that is not known. Never raises."""
    try:
        changes = _took_time(entry, gen, location_id)
        if changes is None:
            return None
        member = int(dict(query).get("staff_id") or 0)
        services = _services(query)
        body = json.loads(entry.body)
        full = []
        changed = (
            sorted(changes.days & set(body["data"]["booking_dates"])) if _touched(changes, member) else []
        )
        for day in changed:
            left = _times_left(location_id, member, day, services, entry.fetched_at)
            if left is None:
                return None
            if not left:
                full.append(day)
        if full:
            body["data"] = _without_dates(body["data"], full)
    except (*cache.CacheUnavailable, ValueError, KeyError, TypeError, AttributeError):
        return None
    count("DatesPatched")
    text = json.dumps(body, ensure_ascii=False) if full else entry.body  # unchanged: not encoded again
    return dataclasses.replace(entry, body=text, gen=gen)


def staff(
    entry: cache.Entry, gen: cache.Gen, location_id: int, query: list[tuple[str, str]]
) -> cache.Entry | None:
    """`entry` (book_staff's answer without a datetime) as of `gen`, when no team member's nearest day was
    filled since, as fresh as it was; None otherwise or when that is not known. Never raises."""
    try:
        if "datetime" in dict(query):
            return None
        changes = _took_time(entry, gen, location_id)
        if changes is None:
            return None
        services = _services(query)
        for member in json.loads(entry.body)["data"]:
            nearest = member.get("seance_date")
            if not member.get("bookable") or nearest not in changes.days:
                continue
            mid = int(member["id"])
            if _touched(changes, mid) and not _times_left(
                location_id, mid, nearest, services, entry.fetched_at
            ):
                return None
    except (*cache.CacheUnavailable, ValueError, KeyError, TypeError, AttributeError):
        return None
    count("StaffPatched")
    return dataclasses.replace(entry, gen=gen)


def _took_time(entry: cache.Entry, gen: cache.Gen, location_id: int) -> holds.Changes | None:
    """The hints' noted changes since `entry`, when every one only took time and names its days."""
    changes = holds.changes_since(entry.gen, gen, location_id, "days")
    if changes is None or changes.freed or changes.days is None:
        return None
    return changes


def _touched(changes: holds.Changes, member: int) -> bool:
    """May the changes have taken `member`'s time (0: anyone's)? Not when each named another member."""
    return not member or any(not m or m == member for m, _, _ in changes.taken)


def _services(query: list[tuple[str, str]]) -> list[int]:
    return sorted(int(v) for k, v in query if k == "service_ids[]")


def _times_left(location_id: int, staff: int, day: str, services: list[int], since: float) -> bool | None:
    """Has `staff` (0: anyone) a free time on `day` for the services after every noted change: True,
    False, or None (not known: no list of times cached, a change not noted; for "any", the patch takes out
    anyone's times, so an empty one proves nothing; with time freed, or from before `since` (the hint's
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
    kept_dates = [d for d in data["booking_dates"] if d not in full]
    kept = {(date.fromisoformat(d).month, date.fromisoformat(d).day) for d in kept_dates}
    gone = {(date.fromisoformat(d).month, date.fromisoformat(d).day) for d in full} - kept
    out = {**data, "booking_dates": kept_dates}
    if isinstance(data.get("booking_days"), dict):
        days = {m: [n for n in ns if (int(m), int(n)) not in gone] for m, ns in data["booking_days"].items()}
        out["booking_days"] = {m: ns for m, ns in days.items() if ns}
    return out


# read_path patches a hint of these operations from before changes that only took time
PATCHES = {"book_dates": dates, "book_staff": staff}
