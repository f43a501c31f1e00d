"""The front-desk actor: salon staff booking and cancelling straight at Altegio while the visitors browse.

A seeded plan (the same for every contender) of actions at Poisson times, `rate` a minute: a booking of a
team member's free time on one of the days visitors look at (the next four working days), or a cancel of
one of the desk's own earlier bookings. Like staff looking at the journal, it reads the sandbox's
appointments (GET /__admin/ledger) to find free times, then calls the sandbox's front desk
(POST/DELETE /__admin/front_desk/..., sandbox/frontdesk.py), never a contender: the contender learns of
it only as the rest of the world tells it (Altegio's webhooks, or its cache running out). A time a
visitor took meanwhile is refused (409); the desk then tries the next free times, a few at most.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import urllib3

from sandbox.availability import Availability
from sandbox.demo_data import build_world

CANCEL_SHARE = 0.4  # of actions, once the desk has bookings of its own to cancel
DAYS_AHEAD = 4  # working days a booking may fall on: those visitors are shown most
TRIES = 6  # times tried in turn when the chosen one is taken
DESK_CLIENT = {"name": "Front desk client", "phone": "+37120009999"}


@dataclass(frozen=True)
class Action:
    at: float  # seconds after the run starts
    cancel: bool
    location: int
    member: float  # which team member of the location (0..1)
    service: float  # which of their services (0..1)
    day: int  # the n-th working day from today
    time: float  # where in that day's working times (0..1)


def plan_actions(rate_per_minute: float, seconds: float, seed: int) -> list[Action]:
    """Poisson arrivals, `rate_per_minute` on average, over `seconds`."""
    if rate_per_minute <= 0:
        return []
    rng = random.Random(seed * 1_000_003 + 11)
    out: list[Action] = []
    t = rng.expovariate(rate_per_minute / 60)
    while t < seconds:
        out.append(
            Action(
                at=t,
                cancel=rng.random() < CANCEL_SHARE,
                location=rng.choice((101, 202)),
                member=rng.random(),
                service=rng.random(),
                day=rng.randrange(DAYS_AHEAD),
                time=rng.random(),
            )
        )
        t += rng.expovariate(rate_per_minute / 60)
    return out


@dataclass
class Tally:
    planned: int = 0
    booked: int = 0
    cancelled: int = 0
    refused: int = 0  # bookings given up: every time tried was taken
    failed: int = 0  # the sandbox did not answer as expected
    errors: list[str] = field(default_factory=list)

    def figures(self, rate: float) -> dict:
        return {
            "rate_per_minute": rate,
            "planned": self.planned,
            "changes": self.booked + self.cancelled,
            "booked": self.booked,
            "cancelled": self.cancelled,
            "refused": self.refused,
            "failed": self.failed,
            "errors": self.errors[:5],
        }


class FrontDesk:
    """Plays `actions` against the sandbox at `url` from `start` (epoch seconds) until stop()."""

    def __init__(self, url: str, actions: list[Action], seed: int):
        self.url = url.rstrip("/")
        self.actions = actions
        self.seed = seed
        self.tally = Tally(planned=len(actions))
        self.live: list[tuple[int, int]] = []  # (location, record id) the desk booked and still holds
        self._http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=10))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, at: float) -> FrontDesk:
        self._thread = threading.Thread(target=self._run, args=(at,), name="front-desk", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> Tally:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        return self.tally

    def _run(self, start: float) -> None:
        world = build_world(self.seed, datetime.fromtimestamp(start, UTC))
        for action in self.actions:
            if self._stop.wait(max(0.0, start + action.at - time.time())):
                return
            try:
                if action.cancel and self.live:
                    self._cancel(action)
                else:
                    self._book(world, action)
            except Exception as exc:  # a bench bug or a dead sandbox: counted, the run goes on
                self.tally.failed += 1
                self.tally.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    def _call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        r = self._http.request(
            method, f"{self.url}/__admin/front_desk/{path}", body=None if body is None else json.dumps(body)
        )
        return r.status, json.loads(r.data or b"{}")

    def _journal(self, world) -> Availability:
        """Free time as the sandbox has it now: schedules, group events and every live appointment."""
        r = self._http.request("GET", f"{self.url}/__admin/ledger?since={10**15}")  # appointments only
        if r.status != 200:
            raise RuntimeError(f"the sandbox's ledger answered {r.status}")
        busy: dict[int, list] = {m: [] for m in world.staff}
        for a in world.activities.values():
            busy[a.staff_id].append((a.start.timestamp(), a.start.timestamp() + a.length, 0))
        for a in json.loads(r.data)["appointments"]:
            if not a["deleted"] and not a["activity_id"] and a["staff_id"] in busy:
                start = datetime.fromisoformat(a["datetime"]).timestamp()
                busy[a["staff_id"]].append((start, start + a["length"], a["record_id"]))
        return Availability(world, busy, time.time())

    def _book(self, world, action: Action) -> None:
        loc = world.locations[action.location]
        av = self._journal(world)
        members = av.candidates(loc.id, [])
        member = members[int(action.member * len(members))]
        services = [s for s in av.bookable_services(loc.id) if s.id in member.service_ids]
        service = services[int(action.service * len(services))]
        days = [av.today(loc) + timedelta(days=n) for n in range(loc.horizon_days)]
        working = [d for d in days if av.has_slot(loc, [member], d, service.length)][:DAYS_AHEAD]
        if not working:
            self.tally.refused += 1
            return
        day = working[min(action.day, len(working) - 1)]
        starts = av.free_starts(loc, member, day, service.length)
        first = int(action.time * len(starts))
        for t in starts[first : first + TRIES]:
            body = {
                "staff_id": member.id,
                "services": [service.id],
                "datetime": datetime.fromtimestamp(t, loc.tz).isoformat(),
                "client": DESK_CLIENT,
            }
            status, answer = self._call("POST", str(loc.id), body)
            if status == 201:
                self.tally.booked += 1
                self.live.append((loc.id, answer["data"]["id"]))
                return
            if status != 409:
                raise RuntimeError(f"front desk answered {status}: {answer}")
        self.tally.refused += 1

    def _cancel(self, action: Action) -> None:
        location, record_id = self.live.pop(int(action.time * len(self.live)))
        status, answer = self._call("DELETE", f"{location}/{record_id}")
        if status != 200:
            raise RuntimeError(f"front desk answered {status}: {answer}")
        self.tally.cancelled += 1
