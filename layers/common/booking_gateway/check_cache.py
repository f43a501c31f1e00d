"""book_check answers shared for a few seconds, under the same rule as the day's list of times.

A book_check body holds nothing personal (appointments: services, team member, datetime), and its answer
is a fact about availability, like book_times. The page asks it up to four times for one booking (entering
the contact and SMS steps, and on each submit) and partners often check right before booking, so a yes
(201) is kept for FRESH seconds in the appointments' day's availability generation (cache.py): a booking,
reschedule or cancel on that day makes it unusable at once, exactly as it does the day's times, unless
the gateway noted what each booking since took and none of it overlaps the checked times (holds.py). A kept
answer is never served past FRESH (no stale-if-error: a failed check is not replaced by an old one). A no
(422) is not kept: only Altegio's successful answers are cached, and a refused visitor moves on to another
time. Appointments on several days, and DynamoDB failing, go straight to Altegio.
With no kept answer, a single appointment is answered yes from the list it was picked from, when Altegio
gave that list less than FRESH seconds ago and nothing the gateway booked since overlaps it
(holds.vouched): its team member's times of that day and services, or the team members free at that time
(the page names one for "any" that way). A check costs Altegio a call only when no list has just said so.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response

from . import cache, clock, holds
from .envelope import envelope
from .forward import WriteResult, day_of, respond, send
from .observability import count, logger

FRESH = 20  # seconds; shorter than book_times' 30 s: the last look before a booking
CREATED = json.dumps(envelope(None, {"message": "Created"}))  # Altegio's yes


def checked(location_id: int, body: dict) -> Response:
    """POST /book_check/{location_id}: the kept answer when one is current, else Altegio's (then kept)."""
    days = {day_of(a.get("datetime")) for a in body.get("appointments", [])}
    day = days.pop() if len(days) == 1 else None
    path = f"/book_check/{location_id}"
    if day is None:
        return respond(_ask(path, body))
    key = cache.cache_key("book_check", location_id, path, [("body", json.dumps(body, sort_keys=True))])
    try:
        entry, gen = cache.read(key, location_id, day)
    except cache.CacheUnavailable:
        return respond(_ask(path, body), {"X-Cache": "bypass"})
    if (
        entry is not None
        and clock.now() < entry.fresh_until
        and (entry.gen == gen or holds.still_free(entry.gen, gen, location_id, day, body["appointments"]))
    ):
        count("CheckHit")
        return respond(WriteResult(entry.status, entry.body), {"X-Cache": "hit"})
    if len(body["appointments"]) == 1 and holds.vouched(location_id, body["appointments"][0], FRESH):
        count("CheckFromList")
        return respond(WriteResult(201, CREATED), {"X-Cache": "hit"})
    fetched_at = clock.now()
    result = _ask(path, body)
    if result.outcome == "done" and result.status == 201:
        try:
            cache.write(key, result.body, fetched_at, FRESH, FRESH, gen, status=result.status)
        except cache.CacheUnavailable:
            logger.warning("could not keep a book_check answer")
    return respond(result, {"X-Cache": "miss"})


def _ask(path: str, body: dict) -> WriteResult:
    return send("POST", path, operation="validate_booking_params", body=body)
