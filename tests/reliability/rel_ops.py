"""Every operation of the gateway as a valid request made fresh for each use, and the demo data behind them.

`Demo` talks to the sandbox Altegio directly (partner token, marked `X-Rel-Direct`, so the wire tap can
tell these set-up calls from what the gateway sends): free slots, user tokens, fresh records to look up,
reschedule or cancel. `OPS` lists the 24 operations with their kind:

- cached:  GET answered from the DynamoDB cache when fresh (stale-if-error applies);
- cabinet: GET for one visitor (tokens, hashes, personal data): never cached, retried upstream if safe;
- write:   everything that changes state or sends an SMS: one upstream call, never retried.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rel_kit import HTTP, NEW_YORK, PARTNER_TOKEN, RIGA, SERVICE, SMS_CODE

DIRECT = "X-Rel-Direct"
DEMO_LOGIN = {"login": "demo", "password": "sandbox-pass"}
DEMO_PHONE = "+37120000001"
STAFF = {RIGA: 1011, NEW_YORK: 2021}  # book_staff_seances samples
REVIEW_TOKEN = {RIGA: "review-101", NEW_YORK: "review-202"}


@dataclass
class Req:
    op: str
    method: str
    path: str  # under /api/v1, query string included
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # What the request stands for, for the booking ledger: (staff_id, datetime) of a booking.
    slot: tuple[int, str] | None = None


class Demo:
    """Demo data straight from the sandbox (never through the gateway)."""

    def __init__(self, rel) -> None:
        self.rel = rel
        self.sandbox = rel.sandbox
        self._lock = threading.Lock()
        self._slots: list[tuple[int, str]] = []
        self._phones = iter(range(1, 10**6))

    # -- direct calls --
    def direct(self, method: str, path: str, body: Any = None, user: str | None = None) -> tuple[int, Any]:
        auth = f"Bearer {PARTNER_TOKEN}" + (f", User {user}" if user else "")
        headers = {
            "Accept": "application/vnd.api.v2+json",
            "Content-Type": "application/json",
            "Authorization": auth,
            DIRECT: "1",
        }
        resp = HTTP.request(
            method,
            self.sandbox.api_base + path,
            body=json.dumps(body).encode() if body is not None else None,
            headers=headers,
        )
        try:
            return resp.status, json.loads(resp.data)
        except ValueError:
            return resp.status, None

    # -- dates and slots --
    def today(self, loc: int) -> date:
        tz = ZoneInfo(self.sandbox.state.world.locations[loc].tz_name)
        return self.sandbox.state.now().astimezone(tz).date()

    def day(self, loc: int, offset: int = 1) -> str:
        return (self.today(loc) + timedelta(days=offset)).isoformat()

    def fill_slots(self, loc: int = NEW_YORK, days: int = 12, spacing_min: int = 120) -> None:
        """Free slots of SERVICE[loc] over the next `days` days, `spacing_min` apart per team member, so
        that booking one never takes another of the list."""
        members = sorted(
            m.id
            for m in self.sandbox.state.world.staff.values()
            if m.location_id == loc and SERVICE[loc] in m.service_ids
        )
        found: list[tuple[int, str]] = []
        for offset in range(1, days + 1):
            for member in members:
                status, body = self.direct(
                    "GET", f"/book_times/{loc}/{member}/{self.day(loc, offset)}?service_ids[]={SERVICE[loc]}"
                )
                if status != 200:
                    continue
                last = None
                for slot in body["data"]:
                    when = datetime.fromisoformat(slot["datetime"])
                    if last is None or when - last >= timedelta(minutes=spacing_min):
                        found.append((member, slot["datetime"]))
                        last = when
        with self._lock:
            self._slots = found

    def take_slot(self, member: int | None = None) -> tuple[int, str]:
        """The next free slot (of `member` when given)."""
        with self._lock:
            for i, (staff, _) in enumerate(self._slots):
                if member in (None, staff):
                    return self._slots.pop(i)
            raise AssertionError("the demo ran out of free slots; fill_slots() with more days")

    def slots_left(self) -> int:
        with self._lock:
            return len(self._slots)

    # -- people, tokens, records --
    def phone(self) -> str:
        with self._lock:
            return f"+1917555{next(self._phones):04d}"

    def user_token(self) -> str:
        status, body = self.direct("POST", "/booking/auth", DEMO_LOGIN)
        assert status == 201, (status, body)
        return body["data"]["user_token"]

    def record(self, phone: str | None = None, slot: tuple[int, str] | None = None) -> tuple[int, str]:
        """A new booking at New York (no SMS there), made directly: (record_id, record_hash)."""
        staff, when = slot or self.take_slot()
        body = {
            "phone": phone or self.phone(),
            "fullname": "Rel Test",
            "email": "rel@example.com",
            "appointments": [{"id": 1, "services": [SERVICE[NEW_YORK]], "staff_id": staff, "datetime": when}],
        }
        status, answer = self.direct("POST", f"/book_record/{NEW_YORK}", body)
        assert status == 201, (status, answer)
        return answer["data"][0]["record_id"], answer["data"][0]["record_hash"]


def _user(demo: Demo) -> dict[str, str]:
    return {"Authorization": f"User {demo.user_token()}"}


def _q(loc: int) -> str:
    return f"service_ids[]={SERVICE[loc]}"


def book_record(demo: Demo, key: str | None = None, loc: int = NEW_YORK) -> Req:
    staff, when = demo.take_slot()
    body = {
        "phone": demo.phone(),
        "fullname": "Alex Morgan",
        "email": "alex.morgan@example.com",
        "appointments": [{"id": 1, "services": [SERVICE[NEW_YORK]], "staff_id": staff, "datetime": when}],
    }
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    return Req("book_record", "POST", f"book_record/{NEW_YORK}", body, headers, (staff, when))


# -- one valid request per operation: (demo, location) -> Req ------------------------------------------
def _bookform(d: Demo, loc: int) -> Req:
    return Req("bookform", "GET", f"bookform/{1 if loc == RIGA else 2}")


def _i18n(d: Demo, loc: int) -> Req:
    return Req("i18n", "GET", "i18n/en-US" if loc == RIGA else "i18n/lv-LV")


def _privacy_policy(d: Demo, loc: int) -> Req:
    return Req("privacy_policy", "GET", f"privacy_policy/{loc}")


def _book_services(d: Demo, loc: int) -> Req:
    return Req("book_services", "GET", f"book_services/{loc}")


def _book_staff(d: Demo, loc: int) -> Req:
    return Req("book_staff", "GET", f"book_staff/{loc}?{_q(loc)}")


def _book_staff_seances(d: Demo, loc: int) -> Req:
    return Req("book_staff_seances", "GET", f"book_staff_seances/{loc}/{STAFF[loc]}?{_q(loc)}")


def _book_dates(d: Demo, loc: int) -> Req:
    return Req("book_dates", "GET", f"book_dates/{loc}?{_q(loc)}")


def _book_times(d: Demo, loc: int) -> Req:
    return Req("book_times", "GET", f"book_times/{loc}/0/{d.day(loc)}?{_q(loc)}")


def _book_record_get(d: Demo, loc: int) -> Req:
    rid, rhash = d.record()
    return Req("book_record_get", "GET", f"book_record/{NEW_YORK}/{rid}/{rhash}")


def _user_records_get(d: Demo, loc: int) -> Req:
    rid, rhash = d.record()
    return Req("user_records_get", "GET", f"user/records/{rid}/{rhash}")


def _booking_user_data(d: Demo, loc: int) -> Req:
    return Req("booking_user_data", "GET", "booking/user/data", None, _user(d))


def _master_record_review_get(d: Demo, loc: int) -> Req:
    return Req("master_record_review_get", "GET", f"master_record_review/{REVIEW_TOKEN[loc]}")


def _book_code(d: Demo, loc: int) -> Req:
    return Req("book_code", "POST", f"book_code/{RIGA}", {"phone": d.phone()})


def _book_check(d: Demo, loc: int) -> Req:
    staff, when = d.take_slot()
    with d._lock:
        d._slots.append((staff, when))  # a check books nothing: the slot stays usable
    body = {"appointments": [{"id": 1, "services": [SERVICE[NEW_YORK]], "staff_id": staff, "datetime": when}]}
    return Req("book_check", "POST", f"book_check/{NEW_YORK}", body)


def _book_record(d: Demo, loc: int) -> Req:
    return book_record(d)


def _book_record_put(d: Demo, loc: int) -> Req:
    staff, first = d.take_slot()
    rid, _ = d.record(phone=DEMO_PHONE, slot=(staff, first))  # the demo account's own booking
    _, when = d.take_slot(member=staff)  # a reschedule keeps the team member
    return Req("book_record_put", "PUT", f"book_record/{NEW_YORK}/{rid}", {"datetime": when}, _user(d))


def _activity_book(d: Demo, loc: int) -> Req:
    body = {"fullname": "Alex Morgan", "phone": d.phone(), "email": "alex@example.com", "clients_count": 1}
    return Req("activity_book", "POST", f"activity/{NEW_YORK}/7201/book", body)


def _user_auth(d: Demo, loc: int) -> Req:
    phone = d.phone()
    status, body = d.direct("POST", f"/book_code/{RIGA}", {"phone": phone})  # a code counts after this
    assert status == 201, (status, body)
    return Req("user_auth", "POST", "user/auth", {"phone": phone, "code": SMS_CODE})


def _booking_auth(d: Demo, loc: int) -> Req:
    return Req("booking_auth", "POST", "booking/auth", dict(DEMO_LOGIN))


def _booking_user_put(d: Demo, loc: int) -> Req:
    return Req("booking_user_put", "PUT", "booking/user", {"name": "Demo Visitor"}, _user(d))


def _booking_user_password(d: Demo, loc: int) -> Req:
    body = {"old_password": "sandbox-pass", "new_password": "sandbox-pass"}
    return Req("booking_user_password", "PUT", "booking/user/password", body, _user(d))


def _booking_user_phone_confirmation(d: Demo, loc: int) -> Req:
    path = f"booking/user/phone_confirmation?company_id={RIGA}&phone=%2B{d.phone()[1:]}"
    return Req("booking_user_phone_confirmation", "GET", path, None, _user(d))


def _master_record_review_post(d: Demo, loc: int) -> Req:
    body = {"rating": 5, "text": "Great"}
    return Req("master_record_review_post", "POST", f"master_record_review/{REVIEW_TOKEN[loc]}", body)


def _user_records_delete(d: Demo, loc: int) -> Req:
    rid, rhash = d.record()
    return Req("user_records_delete", "DELETE", f"user/records/{rid}/{rhash}")


@dataclass(frozen=True)
class Op:
    name: str  # functions/<name>
    kind: str  # cached | cabinet | write
    ok: tuple[int, ...]  # Altegio's success status(es)
    make: Callable[[Demo, int], Req]  # (demo, location) -> a fresh valid request


_TABLE = (
    # name                              kind       ok
    ("bookform", "cached", (200,)),
    ("i18n", "cached", (200,)),
    ("privacy_policy", "cached", (200,)),
    ("book_services", "cached", (200,)),
    ("book_staff", "cached", (200,)),
    ("book_staff_seances", "cached", (200,)),
    ("book_dates", "cached", (200,)),
    ("book_times", "cached", (200,)),
    ("book_record_get", "cabinet", (200,)),
    ("user_records_get", "cabinet", (201,)),
    ("booking_user_data", "cabinet", (200,)),
    ("master_record_review_get", "cabinet", (200,)),
    ("book_code", "write", (201,)),
    ("book_check", "write", (201,)),
    ("book_record", "write", (201,)),
    ("book_record_put", "write", (200,)),
    ("activity_book", "write", (200, 201)),
    ("user_auth", "write", (201,)),
    ("booking_auth", "write", (201,)),
    ("booking_user_put", "write", (202,)),
    ("booking_user_password", "write", (200,)),
    ("booking_user_phone_confirmation", "write", (202,)),  # a GET that sends an SMS: never retried
    ("master_record_review_post", "write", (200,)),
    ("user_records_delete", "write", (200,)),
)
OPS: dict[str, Op] = {name: Op(name, kind, ok, globals()[f"_{name}"]) for name, kind, ok in _TABLE}


def send(rel, req: Req, **kwargs) -> Any:
    return rel.call(req.method, req.path, body=req.body, headers=req.headers, **kwargs)
