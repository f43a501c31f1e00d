"""Helpers of the write suite: demo ids, the sandbox's dates, slots seen through the gateway's book_times."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

RIGA, NEW_YORK = 101, 202  # Riga confirms phones by SMS; New York does not
SMS_CODE = "123456"
DEMO_RECORD = {"record_id": 3000001, "record_hash": "6ec9d28663ca828dd5f4b3b2e4b06ce6", "location_id": RIGA}
DEMO_RECORD_STAFF, DEMO_RECORD_SERVICE = 1014, 10021  # who and what the demo record books
SERVICE = {RIGA: 10011, NEW_YORK: 20011}  # offered every day by someone
REMOVED_SERVICE = {RIGA: 10099, NEW_YORK: 20099}  # 438
BLACKLISTED_PHONE = "+10000000000"  # 434


def client(n: int = 1, loc: int = NEW_YORK) -> dict:
    """A visitor's contact fields (distinct per n, so log scans have real values to look for)."""
    if loc == RIGA:
        return {"phone": f"+3712{n:07d}", "fullname": f"Ilze Bērziņa {n}", "email": f"ilze.b{n}@example.lv"}
    return {"phone": f"+1917555{n:04d}", "fullname": f"Alex Morgan {n}", "email": f"alex.m{n}@example.com"}


def day(gw, loc: int, offset: int = 1) -> date:
    """The location's local date `offset` days from the sandbox's today."""
    state = gw.sandbox.state
    return state.now().astimezone(state.world.locations[loc].tz).date() + timedelta(days=offset)


def times(gw, loc: int, staff: int, when: date, service: int | None = None) -> list[str]:
    """Slot datetimes the gateway's book_times shows now (through the local API Gateway)."""
    service = service or SERVICE[loc]
    reply = gw.http("GET", f"/book_times/{loc}/{staff}/{when.isoformat()}?service_ids[]={service}")
    assert reply.status == 200, reply.body
    return [slot["datetime"] for slot in reply.data]


def bookable_member(gw, loc: int, when: date, service: int | None = None) -> tuple[int, list[str]]:
    """A team member with at least three free slots on `when`, and those slots."""
    service = service or SERVICE[loc]
    for member in sorted(m.id for m in gw.sandbox.state.world.staff.values() if m.location_id == loc):
        if service not in gw.sandbox.state.world.staff[member].service_ids:
            continue
        upstream = gw.upstream(
            "GET", f"/book_times/{loc}/{member}/{when.isoformat()}?service_ids[]={service}"
        )
        if upstream.status == 200 and len(upstream.data) >= 3:
            return member, [s["datetime"] for s in upstream.data]
    raise AssertionError(f"no team member of {loc} with free slots on {when}")


def free_times_of(gw, loc: int, member: int, service: int, first: int = 1) -> list[str]:
    """Free slot datetimes of one team member for `service` on the first day from `first` that has some
    (straight from the sandbox: a reschedule keeps the record's team member and services)."""
    for offset in range(first, first + 14):
        when = day(gw, loc, offset).isoformat()
        upstream = gw.upstream("GET", f"/book_times/{loc}/{member}/{when}?service_ids[]={service}")
        if upstream.status == 200 and upstream.data:
            return [s["datetime"] for s in upstream.data]
    raise AssertionError(f"team member {member} of {loc} has no free time in two weeks")


def appointment(member: int, when: str, service: int, n: int = 1) -> dict:
    return {"id": n, "services": [service], "staff_id": member, "datetime": when}


def booking(loc: int, member: int, when: str, n: int = 1, **extra) -> dict:
    body = {**client(n, loc), "appointments": [appointment(member, when, SERVICE[loc])], **extra}
    if loc == RIGA:
        body.setdefault("code", SMS_CODE)
    return body


def new_key() -> str:
    return str(uuid.uuid4())


def appointments_made(gw) -> list[dict]:
    """Records created during the test (not the seeded demo), cancelled ones included."""
    return [a for a in gw.sandbox.appointments() if not a["demo"]]


def event_for(
    folder: str,
    path: str | None = None,
    *,
    method: str | None = None,
    body: Any = ...,
    headers: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    raw: str | None = None,
    query: dict[str, str] | None = None,
) -> dict:
    """events/<folder>.json, optionally with another path, method, headers, query or body."""
    event = copy.deepcopy(json.loads((ROOT / "events" / f"{folder}.json").read_text()))
    if path is not None:
        event["path"] = path
        event["requestContext"]["path"] = "/" + event["requestContext"]["stage"] + path
    if method:
        event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    hdrs = {k: v for k, v in event["headers"].items() if k.lower() not in {d.lower() for d in drop}}
    hdrs.update(headers or {})
    event["headers"] = hdrs
    event["multiValueHeaders"] = {k: [v] for k, v in hdrs.items()}
    if query is not None:
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    if raw is not None:
        event["body"] = raw
    elif body is not ...:
        event["body"] = None if body is None else json.dumps(body)
    return event
