"""A small Altegio client for the sandbox suite: it validates every answer with the project's payload
models (booking_gateway.upstream_models), so a shape drift in the sandbox fails the test that saw it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import urllib3
from booking_gateway import upstream_models as um

PARTNER = "sandbox-partner-token"
V2 = "application/vnd.api.v2+json"


@dataclass
class Answer:
    status: int
    headers: Any
    raw: bytes
    data: Any = None  # typed `data` of a success
    error: um.ErrorEnvelope | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def codes(self) -> list[int]:
        return self.error.codes if self.error else []


class AltegioClient:
    def __init__(self, base: str, partner: str = PARTNER):
        self.base = base
        self.partner = partner
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=10))

    def headers(self, user_token: str | None = None, accept: str = V2, forwarded_for: str | None = None):
        auth = f"Bearer {self.partner}" + (f", User {user_token}" if user_token else "")
        h = {"Accept": accept, "Content-Type": "application/json", "Authorization": auth}
        if forwarded_for:
            h["X-Forwarded-For"] = forwarded_for
        return h

    def send(self, method: str, path: str, *, query=None, body=None, headers=None, timeout=None) -> Answer:
        url = self.base + path + (("?" + urlencode(query)) if query else "")
        r = self.http.request(
            method,
            url,
            body=None if body is None else json.dumps(body),
            headers=headers or self.headers(),
            timeout=timeout or urllib3.Timeout(total=10),
        )
        return Answer(r.status, r.headers, r.data)

    def call(
        self,
        op: str,
        path: str,
        *,
        query=None,
        body=None,
        user: str | None = None,
        headers=None,
        timeout=None,
    ) -> Answer:
        """One operation; success bodies must match the operation's model and documented status,
        error bodies Altegio's error envelope."""
        spec = um.OPERATIONS[op]
        answer = self.send(
            spec.method, path, query=query, body=body, headers=headers or self.headers(user), timeout=timeout
        )
        payload = answer.json
        if answer.status >= 400:
            answer.error = um.parse_error(payload)
        else:
            assert answer.status == spec.status, (op, answer.status, payload)
            answer.data = um.parse_success(op, payload)
        return answer


def local_day(sb, location_id: int, days: int = 0) -> date:
    av = sb.state.availability()
    return av.today(sb.state.world.locations[location_id]) + timedelta(days=days)


def times(api: AltegioClient, location_id: int, staff_id: int, day: date, services: list[int]) -> list:
    answer = api.call(
        "get_time_slots_for_booking",
        f"/book_times/{location_id}/{staff_id}/{day.isoformat()}",
        query=[("service_ids[]", s) for s in services],
    )
    assert answer.status == 200
    return answer.data.root


def appointment(slot, staff_id: int, services: list[int], appt_id: int = 1) -> dict:
    return {"id": appt_id, "services": services, "staff_id": staff_id, "datetime": slot.datetime.isoformat()}


def book(
    api: AltegioClient,
    location_id: int,
    appointments: list[dict],
    phone: str = "+37120000777",
    name: str = "Test Visitor",
    code: str | None = None,
    **extra,
) -> Answer:
    body = {"phone": phone, "fullname": name, "appointments": appointments, **extra}
    if code is not None:
        body["code"] = code
    return api.call("create_online_booking", f"/book_record/{location_id}", body=body)


def send_code(api: AltegioClient, location_id: int, phone: str) -> None:
    answer = api.call("send_booking_verification_code", f"/book_code/{location_id}", body={"phone": phone})
    assert answer.status == 201 and answer.json["meta"] == {"message": "Created"}


def user_token(api: AltegioClient, location_id: int = 202, phone: str = "+12125550111") -> str:
    """A client's user token by SMS code (the sandbox's code is 123456)."""
    send_code(api, location_id, phone)
    answer = api.call(
        "log_in_with_phone_number_and_code", "/user/auth", body={"phone": phone, "code": "123456"}
    )
    assert answer.status == 201
    return answer.data.user_token


def first_slot(api: AltegioClient, location_id: int, staff_id: int, services: list[int], from_day: date):
    """The first free slot of a team member on or after `from_day` (schedules differ by weekday)."""
    answer = api.call(
        "get_nearest_time_slots",
        f"/book_staff_seances/{location_id}/{staff_id}",
        query=[*[("service_ids[]", s) for s in services], ("datetime", from_day.isoformat())],
    )
    assert answer.data.seances, (location_id, staff_id, services, from_day)
    return answer.data.seances[0]


def spawn_sandbox(*args: str) -> subprocess.Popen:
    """`python -m sandbox ARGS` as its own process, from the project root, with pipes for its output."""
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", *args],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
