"""The bookings and the cancel, orchestrated in one place: what is read before, the one upstream write,
what is noted after (holds.py), and for a booking the Idempotency-Key around it all (idempotency.py).

    return bookings.book(location_id, req.upstream(), key=idempotency_key, app=app)   # POST book_record
    return bookings.cancel(record_id, record_hash, token)                               # DELETE user/records

- A booking reads the cached lists the visitor chose from before it is made (the length of each
  appointment, holds.listed), books, bumps the booked days' availability (forward.send), and notes what it
  took beside the new generations; an appointment no list offered is read back from Altegio (one budgeted
  call: team member and length, break included). Each record's position is kept (positions.py), so its
  webhook changes nothing more and a later move at the front desk knows the day it leaves.
- A cancel has no location in its path: the record is looked up first (one budgeted call), a location this
  gateway does not serve is 404 before anything is cancelled, and a successful cancel bumps that day (every
  allowed location, when the look-up could not tell) and notes that nothing was taken.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from . import altegio_client, clock, holds, positions
from .allowlist import require_location
from .errors import Unanswered
from .forward import Days, Invalidate, WriteResult, day_of, respond, send
from .observability import logger
from .settings import get_settings

# Reading a new record back: at most a second's wait for the budget plus the answer (the booking is made).
READ_BACK_TIMEOUT = 1.5
READ_BACK_LIMIT = 2.5
LOCATE_TIME_LIMIT = 3.0  # the cancel's look-up's share of the call time limit; the cancel gets the rest


def booked_days(location_id: int, datetimes: Iterable[str]) -> Days | int:
    """What a booking of these slots changes: their days (and the hints), else the whole location."""
    days = {day_of(d) for d in datetimes}
    return location_id if None in days or not days else Days(location_id, frozenset(days))


def book(
    location_id: int,
    body: dict,
    *,
    key: str | None,
    app: APIGatewayRestResolver,
    settle: Callable[[WriteResult], WriteResult] | None = None,
) -> Response:
    """POST /book_record/{location_id} (an allowed location): one upstream booking per Idempotency-Key.

    `settle` sees the upstream answer of a booking actually sent (the SMS code's counter); a replay never
    reaches it.
    """
    appointments = body["appointments"]

    def booking() -> WriteResult:
        before = holds.listed(location_id, appointments)  # what the lists showed, read before
        invalidate = booked_days(location_id, [a["datetime"] for a in appointments])
        days = invalidate.days if isinstance(invalidate, Days) else frozenset()
        token = holds.hold(location_id, days, appointments, before) if days else None
        try:
            result = send(
                "POST",
                f"/book_record/{location_id}",
                operation="create_online_booking",
                body=body,
                invalidate=invalidate,
            )
            if settle is not None:
                settle(result)
            if result.changed:
                _note_booking(location_id, appointments, result, before)
            return result
        finally:
            if token is not None:
                holds.release(location_id, days, token)

    # Here, not at init: Powertools' idempotency imports boto3 (~40 ms) and only a booking needs it (a
    # cancellation, the other door on this module, never does).
    from . import idempotency

    return idempotency.once(
        idempotency.key_from(key),
        scope=[idempotency.caller_of(app.current_event.raw_event), location_id],
        payload=body,
        action=booking,
        context=app.lambda_context,
    )


def _note_booking(
    location_id: int, appointments: list[dict], result: WriteResult, before: list[holds.Interval | None]
) -> None:
    """Note what each new record took: from the lists read before, else from the record read back."""
    try:
        made = {r.get("id"): r for r in json.loads(result.body)["data"]}
        taken = [
            known
            or _read_back(location_id, int(made[a["id"]]["record_id"]), str(made[a["id"]]["record_hash"]))
            for a, known in zip(appointments, before, strict=True)
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.warning("booking answer not understood; no note", extra={"error": type(exc).__name__})
        return
    if taken and None not in taken:
        holds.note(location_id, result.bumped, taken)
        for a, (member, start, end) in zip(appointments, taken, strict=True):
            services = tuple(sorted(int(s) for s in a.get("services") or []))
            where = positions.Position(member, start, int(end - start), services, str(a["datetime"])[:10])
            positions.remember_own(location_id, int(made[a["id"]]["record_id"]), where)


def _read_back(location_id: int, record_id: int, record_hash: str) -> holds.Interval | None:
    try:
        up = altegio_client.call(
            "GET",
            f"/book_record/{location_id}/{record_id}/{record_hash}",
            idempotent=True,
            priority="write",
            read_timeout=READ_BACK_TIMEOUT,
            time_limit=READ_BACK_LIMIT,
        )
        data = json.loads(up.body)["data"] if up.status == 200 else None
        start = datetime.fromisoformat(data["datetime"]).timestamp()
        return int(data["staff"]["id"]), start, start + int(data["length"])
    except (Unanswered, ValueError, KeyError, TypeError) as exc:
        logger.warning("new record not read back; no note", extra={"error": type(exc).__name__})
        return None


def cancel(record_id: int, record_hash: str, token: str | None) -> Response:
    """DELETE /user/records/{id}/{hash}: allowlist via a look-up first, then invalidate that day (or every
    allowed location when the record could not be found)."""
    started = clock.monotonic()
    located = locate_record(record_id, record_hash, token)
    invalidate: Invalidate = "all"
    if located is not None:
        location_id, day = located
        require_location(location_id)
        invalidate = Days(location_id, frozenset({day})) if day else location_id
    result = send(
        "DELETE",
        f"/user/records/{record_id}/{record_hash}",
        operation="delete_user_appointment",
        user_token=token,
        invalidate=invalidate,
        time_limit=get_settings().call_time_limit - (clock.monotonic() - started),  # both within the limit
    )
    if isinstance(invalidate, Days) and result.changed:
        # nothing taken, time freed: lists from before stand in until refreshed
        holds.note(invalidate.location_id, result.bumped, [], freed=True)
        gone = positions.Position(0, 0.0, 0, (), next(iter(invalidate.days)), deleted=True)
        positions.remember_own(invalidate.location_id, record_id, gone)  # its webhook then changes nothing
    return respond(result)


def locate_record(record_id: int, record_hash: str, user_token: str | None) -> tuple[int, str | None] | None:
    """The location and day of a record, from GET /user/records/{id}/{hash} (one budgeted call); None if
    unknown."""
    try:
        up = altegio_client.call(
            "GET",
            f"/user/records/{record_id}/{record_hash}",
            user_token=user_token,
            idempotent=True,
            priority="write",
            read_timeout=LOCATE_TIME_LIMIT - 0.5,
            budget_wait=1.0,
            time_limit=LOCATE_TIME_LIMIT,
        )
        if not 200 <= up.status < 300:
            return None
        payload = up.json()
    except Exception:  # budget, timeout, broken JSON: the caller falls back to "every location"
        logger.warning("could not look the record up before cancelling", extra={"record_id": record_id})
        return None
    records = payload.get("data") if isinstance(payload, dict) and "success" in payload else payload
    for record in records if isinstance(records, list) else []:
        if isinstance(record, dict) and str(record.get("id")) == str(record_id):
            try:
                location_id = int((record.get("company") or {}).get("id"))
            except (TypeError, ValueError):
                return None
            return location_id, day_of(record.get("datetime"))
    return None
