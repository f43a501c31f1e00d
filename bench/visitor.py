"""The visitor model: one booking session is the booking page's own sequence of API calls.

Plans (`Intent`) are drawn from a seeded RNG before any run, so every contender replays the same
visitors arriving at the same moments. A session follows web/app.js and web/details.js:

  service step     GET bookform/{form}, GET book_services/{loc}
  team member      GET book_staff/{loc}?service_ids[]=S
  date & time      GET book_staff_seances/{loc}/{X}, GET book_dates/{loc} (this month and the next, one
                   call), GET book_times of the first bookable day (asked before the tap), then of the
                   picked day and the bookable days either side (prefetch; each day asked once)
  booking (share)  contact step: GET privacy_policy (form 1), re-read of the day's times, for "any" team
                   member GET book_staff?datetime=… to name one, POST book_check; submit: POST book_check,
                   POST book_code (location 101, SMS); SMS step: re-read of times, POST book_check;
                   submit: POST book_check, POST book_record with an Idempotency-Key.

As on the page (web/api.js), a GET answered 429/503 with a Retry-After of at most 5 s is asked once more
after the pause (bench/loadgen.py); both attempts count as requests. A failed step does not end the
session: the visitor carries on with ids the page would have shown (known service ids, "any" team
member, the next days), so every contender is offered the same reads.
Only a booking needs real slots, so a session books only when it was shown some.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Demo data of the sandbox (sandbox/__init__.py), most popular service first.
LOCATIONS = {
    101: {"form": 1, "tz": "Europe/Riga", "sms": True, "privacy": True,
          "services": (10011, 10021, 10012, 10022, 10013)},
    202: {"form": 2, "tz": "America/New_York", "sms": False, "privacy": False,
          "services": (20011, 20021, 20012, 20022)},
}  # fmt: skip
SERVICE_WEIGHTS = (0.40, 0.25, 0.15, 0.12, 0.08)
ANY_STAFF_SHARE = 0.65  # visitors who keep "any team member"
DAY_WEIGHTS = (0.50, 0.25, 0.15, 0.10)  # first, second, third, fourth bookable day
SMS_CODE = "123456"
# Think times in seconds (uniform ranges), multiplied by Settings.think_scale.
THINK = {
    "service": (1.0, 3.0),
    "staff": (0.5, 2.0),
    "day": (1.0, 3.0),
    "slot": (1.0, 3.0),
    "contact": (3.0, 6.0),
    "code": (2.0, 4.0),
}
# Operation names used in every figure (the page's calls, in order).
OPERATIONS = (
    "bookform", "book_services", "book_staff", "book_staff_seances", "book_dates", "book_times",
    "privacy_policy", "book_staff_at", "book_check", "book_code", "book_record",
)  # fmt: skip
WRITES = ("book_check", "book_code", "book_record")
LOST = {433, 436, 437}  # the page's "slot no longer available" codes


@dataclass(frozen=True)
class Intent:
    sid: int
    at: float  # arrival, seconds after the run starts (warm-up included)
    location: int
    service_rank: int
    staff_rank: int  # 0 = any team member, k = the k-th bookable member
    day_rank: int
    slot_pick: float  # position in the chosen day's list of times, 0..1
    book: bool
    thinks: dict = field(default_factory=dict)
    phone: str = ""

    def planned_requests(self) -> int:
        """Requests this plan makes when every answer is a success (for the offered rate)."""
        n = 6 + (1 if self.day_rank == 0 else 2) + (1 if self.day_rank >= 2 else 0)  # see Session.run
        if self.book:
            sms = LOCATIONS[self.location]["sms"]
            n += (1 if LOCATIONS[self.location]["privacy"] else 0) + (1 if self.staff_rank == 0 else 0)
            n += 2 + 1 + (4 if sms else 0) + 1  # mount: times + check; submit: check; SMS step; record
        return n


def _pick(rng: random.Random, weights: tuple[float, ...], n: int) -> int:
    return rng.choices(range(n), weights=weights[:n])[0]


def plan_sessions(
    rate: float, seconds: float, book_share: float, think_scale: float, seed: int
) -> list[Intent]:
    """Poisson arrivals sized so the plans offer `rate` requests/s on average."""
    rng = random.Random(seed)
    probe = [_intent(rng, 0, 0.0, book_share, think_scale) for _ in range(2000)]
    per_session = sum(i.planned_requests() for i in probe) / len(probe)
    session_rate = rate / per_session
    rng = random.Random(seed)
    out: list[Intent] = []
    t = rng.expovariate(session_rate)
    while t < seconds:
        out.append(_intent(rng, len(out), t, book_share, think_scale))
        t += rng.expovariate(session_rate)
    return out


def _intent(rng: random.Random, sid: int, at: float, book_share: float, scale: float) -> Intent:
    loc = rng.choice((101, 202))
    services = LOCATIONS[loc]["services"]
    thinks = {k: rng.uniform(a, b) * scale for k, (a, b) in THINK.items()}
    phone = f"+3712{rng.randrange(10**7):07d}" if loc == 101 else f"+1212555{rng.randrange(10**4):04d}"
    return Intent(
        sid=sid,
        at=at,
        location=loc,
        service_rank=_pick(rng, SERVICE_WEIGHTS, len(services)),
        staff_rank=0 if rng.random() < ANY_STAFF_SHARE else rng.randint(1, 3),
        day_rank=_pick(rng, DAY_WEIGHTS, len(DAY_WEIGHTS)),
        slot_pick=rng.random() ** 2,  # earlier times are picked more often
        book=rng.random() < book_share,
        thinks=thinks,
        phone=phone,
    )


def local_today(location: int) -> date:
    return datetime.now(ZoneInfo(LOCATIONS[location]["tz"])).date()


def month_span(first: date) -> tuple[str, str]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.isoformat(), (following - timedelta(days=1)).isoformat()


class Session:
    """Runs one Intent through `call(op, method, path, query, body, headers) -> Reply`."""

    def __init__(self, intent: Intent, call, sleep):
        self.i = intent
        self.call = call
        self.sleep = sleep
        self.loc = intent.location
        self.shown = False  # saw some times

    def q(self, **params) -> list[tuple[str, str]]:
        out = []
        for k, v in params.items():
            if isinstance(v, list | tuple):
                out += [(f"{k}[]", str(x)) for x in v]
            elif v is not None:
                out.append((k, str(v)))
        return out

    def run(self) -> None:
        i, loc = self.i, self.loc
        meta = LOCATIONS[loc]
        self.call("bookform", "GET", f"/bookform/{meta['form']}")
        services = self.call("book_services", "GET", f"/book_services/{loc}").data
        ids = [s.get("id") for s in (services or {}).get("services", []) if isinstance(s, dict)]
        known = [s for s in meta["services"] if s in ids] or list(meta["services"])
        service = known[min(i.service_rank, len(known) - 1)]
        self.sleep(i.thinks["service"])

        staff = self.call("book_staff", "GET", f"/book_staff/{loc}", self.q(service_ids=[service])).data
        members = [m["id"] for m in staff or [] if isinstance(m, dict) and m.get("bookable")]
        staff_id = members[min(i.staff_rank, len(members)) - 1] if i.staff_rank and members else 0
        self.sleep(i.thinks["staff"])

        self.call(
            "book_staff_seances",
            "GET",
            f"/book_staff_seances/{loc}/{staff_id}",
            self.q(service_ids=[service]),
        )
        today = local_today(loc)
        month = today.replace(day=1)
        first, _ = month_span(month)
        _, last = month_span((month + timedelta(days=32)).replace(day=1))
        got = self.call(
            "book_dates", "GET", f"/book_dates/{loc}",
            self.q(service_ids=[service], staff_id=staff_id, date_from=first, date_to=last),
        ).data  # fmt: skip
        days = sorted(set((got or {}).get("booking_dates", [])))
        # The page asks the first bookable day's times as soon as the days are known, before the tap, and
        # keeps every day's answer for the visit (its cache, which drops a failed one): each day asked once.
        first = self.times(staff_id, service, days[0]) if days else None
        asked = {days[0]: first} if first is not None else {}
        days = days or [(today + timedelta(days=n)).isoformat() for n in range(1, 5)]
        self.sleep(i.thinks["day"])

        at = min(i.day_rank, len(days) - 1)
        day = days[at]
        times = asked[day] if day in asked else self.times(staff_id, service, day)
        for n in (at - 1, at + 1):
            if 0 <= n < len(days) and days[n] not in asked:
                self.times(staff_id, service, days[n])
        if not (i.book and times):
            return
        self.sleep(i.thinks["slot"])
        self.book(service, staff_id, day, times[min(int(i.slot_pick * len(times)), len(times) - 1)])

    def times(self, staff_id: int, service: int, day: str) -> list[dict] | None:
        """The day's times as shown to the visitor; None when the request failed."""
        path = f"/book_times/{self.loc}/{staff_id}/{day}"
        reply = self.call(
            "book_times", "GET", path, self.q(service_ids=[service]),
            shown={"location": self.loc, "staff_id": staff_id, "service_id": service},
        )  # fmt: skip
        if not reply.ok:
            return None
        slots = [s for s in reply.data or [] if isinstance(s, dict) and s.get("datetime")]
        self.shown = self.shown or bool(slots)
        return slots

    def book(self, service: int, staff_id: int, day: str, slot: dict) -> None:
        """Contact step, SMS step and book_record; ends where the page would show an error or "slot lost"."""
        with contextlib.suppress(_Halt):
            self._book(service, staff_id, day, slot)

    def _book(self, service: int, staff_id: int, day: str, slot: dict) -> None:
        loc, meta = self.loc, LOCATIONS[self.loc]
        resolved: list[int | None] = [None]

        def check(sid: int, raise_lost: bool = True):
            appt = {"id": 1, "services": [service], "staff_id": sid, "datetime": slot["datetime"]}
            reply = self.call("book_check", "POST", f"/book_check/{loc}", body={"appointments": [appt]})
            lost = bool(set(reply.codes) & LOST)
            if not reply.ok and (raise_lost or not lost):
                raise _Halt(lost)
            return reply

        def resolve() -> int:
            """web/details.js resolveStaff(): a named member for "any", confirmed with book_check."""
            if staff_id:
                check(staff_id)
                return staff_id
            if resolved[0] is not None:
                check(resolved[0])
                return resolved[0]
            cands = self.call(
                "book_staff_at", "GET", f"/book_staff/{loc}",
                self.q(service_ids=[service], datetime=slot["datetime"]),
            ).data or []  # fmt: skip
            for m in [c for c in cands if isinstance(c, dict) and c.get("bookable") is not False][:3]:
                if check(m["id"], raise_lost=False).ok:
                    resolved[0] = m["id"]
                    return m["id"]
            check(0)
            resolved[0] = 0
            return 0

        def recheck() -> None:
            """On entering a step: re-read the day; a lost slot ends the attempt, other errors do not."""
            times = self.times(staff_id, service, day)
            if times is not None and not any(s.get("time") == slot["time"] for s in times):
                raise _Halt(lost=True)
            try:
                resolve()
            except _Halt as halt:
                if halt.lost:
                    raise

        if meta["privacy"]:
            self.call("privacy_policy", "GET", f"/privacy_policy/{loc}")
        recheck()
        self.sleep(self.i.thinks["contact"])
        member = resolve()
        contact = {"phone": self.i.phone, "fullname": f"Bench Visitor {self.i.sid}"}
        if meta["sms"]:
            if not self.call("book_code", "POST", f"/book_code/{loc}", body=contact).ok:
                return
            recheck()
            self.sleep(self.i.thinks["code"])
            member = resolve()
        body = {
            **contact,
            "email": f"visitor{self.i.sid}@bench.test",
            "comment": "",
            "notify_by_sms": 24,
            "notify_by_email": 24,
            "type": "web",
            "appointments": [
                {"id": 1, "services": [service], "staff_id": member, "datetime": slot["datetime"]}
            ],
        }
        if meta["sms"]:
            body["code"] = SMS_CODE
        self.call(
            "book_record", "POST", f"/book_record/{loc}", body=body,
            headers={"Idempotency-Key": str(uuid.UUID(int=random.Random(self.i.sid).getrandbits(128)))},
        )  # fmt: skip


class _Halt(Exception):
    """The page shows an error or "slot lost": this visitor's booking attempt ends."""

    def __init__(self, lost: bool = False):
        super().__init__("slot lost" if lost else "error")
        self.lost = lost
