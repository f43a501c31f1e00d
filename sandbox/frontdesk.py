"""The front desk: salon staff create, move, re-service and delete records straight in Altegio, as the
rest of the world does while the gateway is not looking. Admin endpoints, answered in Altegio's envelope:

    POST   /__admin/front_desk/{location_id}              {staff_id, services: [ids], datetime,
                                                           seance_length?, client?: {name, phone, email},
                                                           comment?}                            -> 201
    PUT    /__admin/front_desk/{location_id}/{record_id}  any of {staff_id, services, datetime,
                                                           seance_length, comment}              -> 200
    DELETE /__admin/front_desk/{location_id}/{record_id}                                        -> 200
    GET    /__admin/front_desk/{location_id}/{record_id}                                        -> 200

`data` is the record as the records API reads it (what its webhook carries). Like an administrator, the
front desk is not held to online booking's rules: any time (off the grid, outside working hours, past,
beyond the booking horizon), any of the location's services (also one removed from online booking), any
length. It never double-books a team member: a time over another record or a group event of theirs is
refused with 409 naming it. A datetime without an offset is the location's local time. Every change is
announced by the webhooks like any other (source "front_desk" in the ledger's changes).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from . import payloads, phones
from .booking import parse_datetime
from .envelope import ApiError, Reply, json_response, ok

if TYPE_CHECKING:
    from .entities import Location, Record
    from .state import SandboxState

_CREATE = {"staff_id", "services", "datetime", "seance_length", "client", "comment"}
_CHANGE = {"staff_id", "services", "datetime", "seance_length", "comment"}
_LONGEST = 24 * 3600


def handle(state: SandboxState, request: Request, parts: list[str]) -> Response:
    try:
        return json_response(_route(state, request, parts))
    except ApiError as exc:
        return json_response(exc.reply)


def _route(state: SandboxState, request: Request, parts: list[str]) -> Reply:
    if not parts or len(parts) > 2 or not all(p.isdigit() for p in parts):
        raise ApiError(404, "Use /__admin/front_desk/{location_id}[/{record_id}]")
    loc = state.world.locations.get(int(parts[0]))
    if loc is None:
        raise ApiError(404, f"Location {parts[0]} not found")
    method = request.method
    if len(parts) == 1:
        if method != "POST":
            raise ApiError(405, "POST /__admin/front_desk/{location_id} creates a record")
        return create(state, loc, _body(request, _CREATE, required=("staff_id", "services", "datetime")))
    record = state.records.get(int(parts[1]))
    if record is None or record.location_id != loc.id:
        raise ApiError(404, f"Record {parts[1]} not found at location {loc.id}")
    if method == "GET":
        return ok(payloads.hook_record(record, state.world))
    if method not in ("PUT", "DELETE"):
        raise ApiError(405, f"{method} is not a front desk action: GET, PUT or DELETE a record")
    body = _body(request, _CHANGE, required=()) if method == "PUT" else {}
    with state.lock:  # checked and changed in one hold: two desks deleting at once delete once
        if record.deleted:
            raise ApiError(409, f"Record {record.id} was deleted")
        if method == "PUT":
            return change(state, loc, record, body)
        state.cancel(record, source="front_desk")
        return ok(payloads.hook_record(record, state.world))


def create(state: SandboxState, loc: Location, body: dict) -> Reply:
    staff_id = _staff(state, loc, body["staff_id"])
    service_ids = _services(state, loc, body["services"])
    start = _start(loc, body["datetime"])
    length = _length(state, loc, service_ids, body.get("seance_length"))
    client = _client(body.get("client"))
    with state.lock:
        _refuse_overlap(state, staff_id, start, length, None)
        record = state.desk_create(
            location_id=loc.id,
            staff_id=staff_id,
            service_ids=service_ids,
            start=start,
            length=length,
            comment=_text(body.get("comment"), "comment"),
            **client,
        )
        return ok(payloads.hook_record(record, state.world), 201)


def change(state: SandboxState, loc: Location, record: Record, body: dict) -> Reply:
    if not body:
        raise ApiError(422, f"Nothing to change: give any of {', '.join(sorted(_CHANGE))}")
    if record.activity_id:
        raise ApiError(422, "A group event's record moves with its event; delete it instead")
    fields: dict[str, Any] = {}
    if "staff_id" in body:
        fields["staff_id"] = _staff(state, loc, body["staff_id"])
    if "services" in body:
        fields["service_ids"] = _services(state, loc, body["services"])
    if "datetime" in body:
        fields["start"] = _start(loc, body["datetime"])
    if "services" in body or "seance_length" in body:
        services = fields.get("service_ids", record.service_ids)
        fields["length"] = _length(state, loc, services, body.get("seance_length"))
    if "comment" in body:
        fields["comment"] = _text(body["comment"], "comment")
    with state.lock:
        start, length = fields.get("start", record.start), fields.get("length", record.length)
        _refuse_overlap(state, fields.get("staff_id", record.staff_id), start, length, record.id)
        state.desk_update(record, **fields)
        return ok(payloads.hook_record(record, state.world))


# -- checks: each raises a 4xx saying what is wrong --------------------------------------------------
def _body(request: Request, allowed: set[str], required: tuple[str, ...]) -> dict:
    raw = request.get_data()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "The body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(422, f"Unknown fields: {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")
    missing = [k for k in required if body.get(k) in (None, "", [])]
    if missing:
        raise ApiError(422, f"{', '.join(missing)} required")
    return body


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def _staff(state: SandboxState, loc: Location, value: Any) -> int:
    staff_id = _int(value)
    member = state.world.staff.get(staff_id) if staff_id is not None else None
    if member is None or member.location_id != loc.id:
        raise ApiError(422, f"staff_id must be a team member of location {loc.id}, not {value!r}")
    return member.id


def _services(state: SandboxState, loc: Location, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise ApiError(422, "services must be a non-empty array of service ids")
    out: list[int] = []
    for item in value:
        service_id = _int(item.get("id") if isinstance(item, dict) else item)
        service = state.world.services.get(service_id) if service_id is not None else None
        if service is None or service.location_id != loc.id:
            raise ApiError(422, f"service {item!r} is not a service of location {loc.id}")
        if service.group_only:
            raise ApiError(422, f"service {service.id} is booked through its group event only")
        if service.id not in out:
            out.append(service.id)
    return tuple(out)


def _start(loc: Location, value: Any) -> datetime:
    start = parse_datetime(value, loc)
    if start is None:
        raise ApiError(422, f"datetime must be an ISO 8601 date and time, not {str(value)[:40]!r}")
    return start


def _length(state: SandboxState, loc: Location, service_ids: tuple[int, ...], value: Any) -> int:
    if value is None:
        return state.availability().length_of(loc, list(service_ids))
    length = _int(value)
    if length is None or not 0 < length <= _LONGEST:
        raise ApiError(422, f"seance_length must be whole seconds from 1 to {_LONGEST}, not {value!r}")
    return length


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(422, f"{name} must be text")
    return value


def _client(value: Any) -> dict:
    """A walk-in without a card when none is given; a phone, when given, must be one Altegio takes."""
    if value is None:
        return {"client_name": "Walk-in client", "client_phone": ""}
    if not isinstance(value, dict) or set(value) - {"name", "phone", "email"}:
        raise ApiError(422, "client must be an object with name, phone and email")
    phone = value.get("phone") or ""
    if phone and not phones.is_valid(phone):
        raise ApiError(422, "client.phone must be an international phone number")
    return {
        "client_name": _text(value.get("name"), "client.name") or "Walk-in client",
        "client_phone": phones.normalized(phone) if phone else "",
        "client_email": _text(value.get("email"), "client.email"),
    }


def _refuse_overlap(
    state: SandboxState, staff_id: int, start: datetime, length: int, ignore: int | None
) -> None:
    clash = state.overlap(staff_id, start.timestamp(), start.timestamp() + length, ignore)
    if clash is None:
        return
    loc_tz = start.tzinfo
    begin, end = (datetime.fromtimestamp(t, loc_tz) for t in clash[:2])
    what = f"record {clash[2]}" if clash[2] else "a group event"
    name = state.world.staff[staff_id].name
    message = (
        f"Team member {name} ({staff_id}) is busy from {begin:%H:%M} to {end:%H:%M} on {begin:%Y-%m-%d} "
        f"({what}): the front desk never double-books"
    )
    raise ApiError(409, message, [{"code": 433, "message": message}])
