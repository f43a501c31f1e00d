"""Validating a set of appointments the way book_check / book_record do: codes 422, 433, 436, 437, 438."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .availability import Availability
from .entities import Location


@dataclass
class Planned:
    appointment_id: int
    staff_id: int
    start: datetime
    length: int
    service_ids: tuple[int, ...]
    master_requested: bool
    custom_fields: dict


def parse_datetime(value: object, loc: Location) -> datetime | None:
    """ISO 8601 with or without offset (colon-less too); a naive value is location-local."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return dt.replace(tzinfo=loc.tz) if dt.tzinfo is None else dt.astimezone(loc.tz)


def _when(dt: datetime) -> str:
    return f"{dt:%B} {dt.day}, {dt.year} at {dt:%H:%M}"


def _who(av: Availability, staff_id: int) -> str:
    member = av.world.staff.get(staff_id)
    return f"{member.name} ({staff_id})" if member else f"({staff_id})"


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def plan(
    av: Availability, loc: Location, appointments: list, ignore: int | None = None
) -> tuple[list[dict], list[Planned]]:
    """Errors (Altegio's `meta.errors` items, each naming the appointment id) and the placements."""
    errors: list[dict] = []
    planned: list[Planned] = []
    bookable = {s.id for s in av.bookable_services(loc.id)}

    def fail(appt_id: int, code: int, message: str) -> None:
        errors.append({"code": code, "message": message, "id": appt_id})

    for index, appt in enumerate(appointments):
        appt = appt if isinstance(appt, dict) else {}
        appt_id = _int(appt.get("id"))
        appt_id = index + 1 if appt_id is None else appt_id
        raw_services = appt.get("services") or []
        service_ids = [_int(s) for s in (raw_services if isinstance(raw_services, list) else [raw_services])]
        if not service_ids:
            fail(appt_id, 422, "No services or promotions set")
            continue
        gone = [s for s in service_ids if s not in bookable]
        if gone:
            fail(appt_id, 438, f"There is no appointment for the specified service/promotion ({gone[0]})")
            continue
        start = parse_datetime(appt.get("datetime"), loc)
        staff_id = _int(appt.get("staff_id"))
        if start is None or staff_id is None:
            fail(appt_id, 422, "staff_id and datetime (ISO 8601) are required")
            continue
        length = av.length_of(loc, service_ids)
        end_ts = start.timestamp() + length
        if any(
            p.start.timestamp() < end_ts and start.timestamp() < p.start.timestamp() + p.length
            for p in planned
        ):
            fail(
                appt_id,
                437,
                f"Team Member {_who(av, staff_id)} cannot be booked for {_when(start)}. "
                "Intersection with previous visit.",
            )
            continue
        taken_msg = (
            f"Team Member {_who(av, staff_id)} cannot be booked on {_when(start)}. "
            "The selected time is already taken or is not working."
        )
        candidates = av.candidates(loc.id, service_ids, staff_id)
        verdicts = [(m, av.check(loc, m, start, length, ignore)) for m in candidates]
        free = [m for m, verdict in verdicts if verdict == "ok"]
        if free:
            planned.append(
                Planned(
                    appt_id,
                    free[0].id,
                    start,
                    length,
                    tuple(service_ids),
                    staff_id != 0,
                    appt.get("custom_fields") or {},
                )
            )
        elif staff_id == 0 and any(verdict == "taken" for _, verdict in verdicts):
            fail(appt_id, 436, "No team members available for enrollment")
        else:
            fail(appt_id, 433, taken_msg)
    return errors, planned
