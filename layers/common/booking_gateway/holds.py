"""What the gateway's own bookings took, so a list of times from before them can still stand in.

A booking bumps its day's generation (cache.py), which makes every list of times of that day, and every
team member's nearest times, unservable until Altegio is asked again: at busy times dozens of upstream
calls per booking, more than Altegio's limit leaves. So after a booking the gateway notes the interval
each appointment took beside each generation the booking created: its team member (0 for "any": every
list) and its time, with the length Altegio listed for that time in the cached list the visitor chose
from, plus PADDING for a technical break Altegio may add; with no such list, from the record read back
(team member and length, break included; bookings.py reads it). A list fetched before is then patched:
every time that overlaps a noted interval of its team member (of anyone, for "any") is removed. The
patched list is the old one minus what the gateway's bookings took: it may hide a time still free (another
member could take it under "any"), never show one they took. When every change since only took time, it
is as fresh as the list it was patched from: served as a hit, without an upstream call, until that list
would have aged (read_path). A cancel notes that nothing was taken and that time was freed: the patched
list (the old one as it was) then stands in like an aged copy, refreshed when the budget allows, so the
freed time comes back with the next refresh, and served when the budget is spent or Altegio fails. A
change Altegio reports by webhook is noted the same way (webhooks.py): a move frees its old time. A bump
without a note (a reschedule, a record that could not be read back, the moment between the bump and its
note) leaves the lists unservable, as before.

A note is `{"taken": [interval, ...], "freed": bool, "days": [day, ...]}`, the days the change bumped (a
bare list of intervals, as notes were before, is read as taking those and, when empty, as a cancel; a
note without days names none: hints_patch.py then asks Altegio).

Between sending a booking and noting it, Altegio may already have made it while the day's lists are still
current. So the booking is held in flight (cache.hold) before it is sent: from then every list of its days
read from the cache, fresh ones too, is served without its times (in_flight) until the booking is noted
and released, or has failed. A time an unanswered booking may have taken is never offered meanwhile.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from . import cache, clock
from .observability import count, logger
from .read_params import build_query
from .settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    Reader = Callable[[str, int | None, str | None], tuple[cache.Entry | None, cache.Gen]]  # cache.read

Interval = tuple[int, float, float]  # team member (0: not known), start, end (epoch seconds)
PADDING = 15 * 60  # seconds after a listed length that a technical break may take
NOTE_TTL = 86400  # longer than any entry is kept
NOTE_WAIT, NOTE_TRIES = 0.15, 3  # a reader looks again for a note that may be on its way
MAX_BEHIND = 100  # notes looked up for one list (one BatchGetItem); further behind, it is asked again
HOLD_MARGIN = 5.0  # seconds a hold outlives its booking's upstream call, should the release be lost


def listed(location_id: int, appointments: list[dict]) -> list[Interval | None]:
    """Before book_record: each appointment's interval from the cached lists, if they offered its time.
    Never raises: whatever goes wrong here must not stand between a visitor and a booking."""
    try:
        return [_listed(location_id, a) for a in appointments]
    except Exception as exc:  # noqa: BLE001 - an optimisation; the booking goes ahead without it
        logger.warning("lists not read before a booking", extra={"error": type(exc).__name__})
        return [None] * len(appointments)


def note(location_id: int, bumped: dict[str, int], taken: list[Interval], freed: bool = False) -> None:
    """After a booking or cancel: what it took (nothing, for a cancel) and whether it freed time (a cancel)
    beside each generation it created (`bumped`), so lists from before can stand in without it. Never
    raises; without a note the lists of the changed days stay unservable until Altegio is asked again."""
    try:
        record(location_id, bumped, taken, freed)
    except cache.CacheUnavailable as exc:
        logger.warning("could not note what a booking took", extra={"error": type(exc).__name__})


def record(location_id: int, bumped: dict[str, int], taken: list[Interval], freed: bool = False) -> None:
    """note(), raising CacheUnavailable (a webhook's change: Altegio delivers it again)."""
    days = sorted(scope for scope in bumped if scope != "days")
    cache.note_all(location_id, bumped, json.dumps({"taken": taken, "freed": freed, "days": days}), NOTE_TTL)


class Changes(NamedTuple):
    """What the noted changes between two generations of a scope did."""

    taken: list[Interval]
    freed: bool  # one of them freed time (a cancel or a move)
    days: frozenset[str] | None  # the days they changed; None when a note does not say


def _read_note(payload: str) -> Changes:
    """One note's changes; raises ValueError, KeyError or TypeError if malformed."""
    doc = json.loads(payload)
    if isinstance(doc, list):  # as notes were before `freed`: an empty one was a cancel's
        return Changes([(int(m), float(a), float(b)) for m, a, b in doc], not doc, None)
    days = frozenset(str(d) for d in doc["days"]) if "days" in doc else None
    return Changes([(int(m), float(a), float(b)) for m, a, b in doc["taken"]], bool(doc["freed"]), days)


def hold(
    location_id: int, days: frozenset[str], appointments: list[dict], known: list[Interval | None]
) -> str | None:
    """Before a booking is sent: hold its times in flight on its days and the hints; the token to release,
    None when not held (the booking goes ahead: a hold only narrows a window). A time no list offered is
    held from its start (its length is not known yet)."""
    taken = []
    for a, span in zip(appointments, known, strict=True):
        if span is None:
            start = datetime.fromisoformat(str(a["datetime"])).timestamp()
            span = (int(a.get("staff_id") or 0), start, start + 1)
        taken.append(span)
    token = uuid.uuid4().hex[:16]
    seconds = get_settings().call_time_limit + HOLD_MARGIN
    try:
        cache.hold(location_id, [*sorted(days), "days"], token, json.dumps(taken), seconds)
    except (*cache.CacheUnavailable, ValueError, KeyError, TypeError) as exc:
        logger.warning("booking not held in flight", extra={"error": type(exc).__name__})
        return None
    return token


def release(location_id: int, days: frozenset[str], token: str) -> None:
    """After the booking is noted, or was not made. Never raises: a hold left behind runs out by itself."""
    try:
        cache.release(location_id, [*sorted(days), "days"], token)
    except cache.CacheUnavailable as exc:
        logger.warning("booking in flight not released; it runs out", extra={"error": type(exc).__name__})


def in_flight(entry: cache.Entry, member: int) -> cache.Entry | None:
    """A list of `member`'s times (0: any) without the times of bookings in flight on its scopes; None when
    nothing of it is left to serve or it cannot be patched (read it from Altegio instead)."""
    if not entry.in_flight:
        return entry
    try:
        taken = [(int(m), float(a), float(b)) for p in entry.in_flight for m, a, b in json.loads(p)]
        body = json.loads(entry.body)
        data = without(body["data"], taken, member)
    except (ValueError, KeyError, TypeError):
        logger.warning("a list of times could not be patched for a booking in flight")
        return None
    if data is None:
        return None
    body["data"] = data
    count("InFlightPatched")
    return dataclasses.replace(entry, body=json.dumps(body, ensure_ascii=False), in_flight=())


def _listed(location_id: int, appointment: dict, read: Reader = cache.read) -> Interval | None:
    """The appointment's interval from a cached list of its services that offered its time: its day's
    times (its team member's, else "any"'s) or its team member's nearest times, any generation: the
    length belongs to the services, not the day."""
    member = int(appointment.get("staff_id") or 0)
    start = datetime.fromisoformat(str(appointment["datetime"])).timestamp()
    for key, scope in _lists_offering(location_id, member, appointment):
        try:
            entry, _ = read(key, location_id, scope)
            slots = _slots(json.loads(entry.body)["data"]) if entry is not None else []
        except (*cache.CacheUnavailable, ValueError, KeyError, TypeError, AttributeError):
            continue
        for slot in slots:
            if isinstance(slot, dict) and slot.get("sum_length") and _start(slot) == start:
                return member, start, start + int(slot["sum_length"]) + PADDING
    return None


def _lists_offering(location_id: int, member: int, appointment: dict):
    """(cache key, generation scope) of each list a visitor may have picked the appointment's time from."""
    day = str(appointment["datetime"])[:10]
    for staff in dict.fromkeys((member, 0)):
        yield _times_key(location_id, staff, appointment), day
    if member:  # the nearest times (book_staff_seances), picked from without a day
        path = f"/book_staff_seances/{location_id}/{member}"
        yield cache.cache_key("book_staff_seances", location_id, path, _services_query(appointment)), None


def _slots(data: Any) -> list:
    """The times of a book_times list or of book_staff_seances' {seance_date, seances}."""
    return data["seances"] if isinstance(data, dict) else data


def _times_key(location_id: int, staff: int, appointment: dict) -> str:
    """The cache key of the list of times of the appointment's day and services, for team member `staff`."""
    services = [int(s) for s in appointment.get("services") or []]
    return times_key(location_id, staff, str(appointment["datetime"])[:10], services)


def times_key(location_id: int, staff: int, day: str, services: list[int]) -> str:
    """The cache key of `staff`'s (0: any) list of times of `day` for these services."""
    path = f"/book_times/{location_id}/{staff}/{day}"
    return cache.cache_key("book_times", location_id, path, build_query(services))


def _services_query(appointment: dict, **params: object) -> list[tuple[str, str]]:
    return build_query([int(s) for s in appointment.get("services") or []], **params)


def still_free(kept: cache.Gen, gen: cache.Gen, location_id: int, day: str, appointments: list[dict]) -> bool:
    """May a book_check yes kept at generation `kept` stand at `gen`? Only when every change since was a
    noted booking or cancel whose intervals, whoever's, overlap none of the checked appointments."""
    try:
        taken = _taken_since(kept, gen, location_id, day)
        checked = [_listed(location_id, a) for a in appointments]
    except (*cache.CacheUnavailable, ValueError, KeyError, TypeError):
        return False
    if taken is None or None in checked:
        return False
    return not any(_overlaps(start, end, taken, 0) for _, start, end in checked)


def vouched(location_id: int, appointment: dict, within: float) -> bool:
    """Does a list the gateway fetched from Altegio in the last `within` seconds offer this appointment
    still: its team member's list of times of its day and services (any's, for 0), or the team members
    free at its time? "Still": the list is current, or every change since is a noted booking or cancel
    that took nothing of this team member's (anyone's, for 0) overlapping it. Never raises."""
    seen: dict[str, tuple[cache.Entry | None, cache.Gen]] = {}

    def read(key: str, location: int | None, day: str | None) -> tuple[cache.Entry | None, cache.Gen]:
        if key not in seen:  # the member's list gives both the length and the answer: read it once
            seen[key] = cache.read(key, location, day)
        return seen[key]

    try:
        span = _listed(location_id, appointment, read)
        if span is None:
            return False
        member, start, end = span
        for key, scope, offers in _sources(location_id, appointment, start):
            entry, gen = read(key, location_id, None if scope == "days" else scope)
            if entry is None or clock.now() - entry.fetched_at > within:
                continue
            if not offers(json.loads(entry.body).get("data")):
                continue
            if entry.gen == gen:
                return True
            taken = _taken_since(entry.gen, gen, location_id, scope)
            if taken is not None and not _overlaps(start, end, taken, member):
                return True
    except (*cache.CacheUnavailable, ValueError, KeyError, TypeError, AttributeError):
        return False
    return False


def _sources(location_id: int, appointment: dict, start: float):
    """(cache key, generation scope, does its data offer the appointment) of each list that may vouch."""
    when, member = str(appointment["datetime"]), int(appointment.get("staff_id") or 0)
    yield (
        _times_key(location_id, member, appointment),
        when[:10],
        lambda data: any(_start(slot) == start for slot in data),
    )
    if member:  # the page names a team member for "any" from those free at the time (book_staff)
        query = _services_query(appointment, datetime=datetime.fromisoformat(when).isoformat())
        key = cache.cache_key("book_staff", location_id, f"/book_staff/{location_id}", query)
        yield key, "days", lambda data: any(m.get("id") == member and m.get("bookable") for m in data)


def stand_in(
    entry: cache.Entry, gen: cache.Gen, location_id: int, scope: str, member: int
) -> cache.Entry | None:
    """`entry` (a list of `member`'s times, 0: any) without what was taken since it was fetched, as of
    `gen`; as fresh as `entry` was when the changes since only took time (read_path serves it while that
    lasts, without asking Altegio), never fresh when one freed time (it comes back with a refresh); None
    when what changed is not known."""
    try:
        since = changes_since(entry.gen, gen, location_id, scope)
        if since is None:
            count("StandInUnknown")
            return None
        taken, freed, _ = since
        body = json.loads(entry.body)
        data = without(body["data"], taken, member)
    except cache.CacheUnavailable:
        return None
    except (ValueError, KeyError, TypeError):
        logger.warning("a list of times could not be patched")
        return None
    if data is None:
        count("StandInNoneLeft")
        return None
    body["data"] = data
    text = json.dumps(body, ensure_ascii=False)
    return dataclasses.replace(
        entry, body=text, gen=gen, fresh_until=entry.fetched_at if freed else entry.fresh_until
    )


def _taken_since(since: cache.Gen, gen: cache.Gen, location_id: int, scope: str) -> list[Interval] | None:
    """Every interval noted for the scope's generations after `since` up to `gen`; None when a change in
    between is not a noted one (the location's own generation moved, too many, or a note is missing)."""
    changes = changes_since(since, gen, location_id, scope)
    return None if changes is None else changes.taken


def changes_since(since: cache.Gen, gen: cache.Gen, location_id: int, scope: str) -> Changes | None:
    """Every noted change of the scope after generation `since` up to `gen`, together; None when one in
    between is not a noted one (as _taken_since). Raises CacheUnavailable, ValueError, KeyError, TypeError."""
    behind = gen.scoped - since.scoped
    if since.location != gen.location or not 0 < behind <= MAX_BEHIND:
        return None
    found = _notes(location_id, scope, range(since.scoped + 1, gen.scoped + 1))
    if found is None:
        return None
    notes = [_read_note(p) for p in found]
    days = None if any(n.days is None for n in notes) else frozenset().union(*(n.days for n in notes))
    return Changes([i for n in notes for i in n.taken], any(n.freed for n in notes), days)


def _notes(location_id: int, scope: str, gens: range) -> list[str] | None:
    """The notes of these generations; a missing one is waited for a little (a booking notes right after
    its bump)."""
    found = cache.notes(location_id, scope, gens)
    for _ in range(NOTE_TRIES):
        if found is not None:
            break
        clock.sleep(NOTE_WAIT)
        found = cache.notes(location_id, scope, gens)
    return found


def without(data: Any, taken: list[Interval], member: int) -> Any:
    """book_times' list, or book_staff_seances' {seance_date, seances}, minus the taken times; None when
    the nearest day's times are all gone (the nearest day is then another, not known here)."""
    if isinstance(data, list):
        return [slot for slot in data if not _clashes(slot, taken, member)]
    if isinstance(data, dict) and isinstance(data.get("seances"), list):
        left = [slot for slot in data["seances"] if not _clashes(slot, taken, member)]
        return {**data, "seances": left} if left else None
    raise TypeError("not a list of times")


def _start(slot: dict) -> float:
    return datetime.fromisoformat(slot["datetime"]).timestamp()


def _clashes(slot: dict, taken: list[Interval], member: int) -> bool:
    start = _start(slot)
    end = start + max(1, int(slot.get("sum_length") or slot.get("seance_length") or 0))
    return _overlaps(start, end, taken, member)


def _overlaps(start: float, end: float, taken: list[Interval], member: int) -> bool:
    """Does a noted interval of `member` (of anyone, for 0; anyone's that named nobody) overlap start-end?"""
    return any(start < b and a < end for m, a, b in taken if not member or not m or m == member)
