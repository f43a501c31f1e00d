"""The sandbox's mutable state: records, users, tokens and SMS codes, behind one lock.

Every write runs under `lock`, and a booking's check and insert share one hold of it, so of many
concurrent bookings of one slot exactly one wins. Reads compute availability from `busy`, which a
write replaces whole, so a read never sees half a change. Every change of a record, on any path, is
noted for the webhooks (webhooks.py) under the same hold, in the order the changes happen.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import datetime, timedelta

from . import phones
from .availability import Availability, Busy
from .booking import Planned, plan
from .clock import SandboxClock
from .config import SandboxConfig
from .demo_data import build_world
from .entities import Activity, Location, Record, User
from .ledger import Ledger
from .masking import mask
from .webhooks import Webhooks, interval

log = logging.getLogger("sandbox")
CODE_TTL = timedelta(minutes=10)


class SandboxState:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.lock = threading.RLock()
        self.clock = SandboxClock(config)
        self.ledger = Ledger(config.ledger_size, self.clock)
        self.hooks = Webhooks(config, self.clock)
        self.reset()

    def now(self) -> datetime:
        return self.clock.now()

    def set_clock(
        self,
        now: str | None = None,
        frozen: bool | None = None,
        advance_s: float | None = None,
        rebuild: bool = True,
        pin: bool = False,
    ) -> bool:
        """Pin (`pin`: to `now`, None = real time), freeze or thaw, or advance the clock; True when the demo
        was rebuilt. A pin is a jump to another day of the world: the demo is built again around it (unless
        `rebuild` is false; the ledger is kept). Time passing (advance_s) or a freeze changes nothing else:
        the world ages as it would, SMS codes expire, times go by."""
        if pin and advance_s is not None:
            raise ValueError("give now or advance_s, not both")
        if pin:
            self.config.apply({"now": now, **({} if frozen is None else {"frozen": frozen})})
        elif frozen is not None and frozen != self.config.frozen:
            # Freeze (or thaw) where the clock is now, without a jump.
            self.config.apply({"now": self.now().isoformat(), "frozen": frozen})
        if advance_s is not None:
            self.clock.advance(advance_s)
        if pin and rebuild:
            self.reset(ledger=False)
            return True
        return False

    def reset(self, ledger: bool = True) -> None:
        """Back to the seeded demo (relative to today) with an empty ledger (or the ledger kept)."""
        with self.lock:
            self.world = build_world(self.config.seed, self.now())
            self.records: dict[int, Record] = {r.id: r for r in self.world.records}
            self.users: dict[int, User] = dict(self.world.users)
            self.tokens: dict[str, int] = {}  # user token -> user id
            self.codes: dict[str, tuple[str, datetime]] = {}  # phone digits -> (code, expires)
            self.rng = random.Random(self.config.seed * 7919 + 17)
            self.next_record_id = max(self.records, default=0) + 1
            self.first_runtime_id = self.next_record_id  # lower ids are the seeded demo's
            self.next_user_id = max(self.users, default=500) + 1
            self._reindex()
            self.ledger.resize(self.config.ledger_size)
            if ledger:
                self.ledger.clear()
                self.hooks.reset()

    # -- availability --------------------------------------------------------------------------
    def _reindex(self) -> None:
        busy: Busy = {m: [] for m in self.world.staff}
        for a in self.world.activities.values():
            busy[a.staff_id].append((a.start.timestamp(), a.start.timestamp() + a.length, 0))
        for r in self.records.values():
            if not r.deleted and not r.activity_id:
                busy[r.staff_id].append((r.start_ts, r.end_ts, r.id))
        self.busy = busy

    def availability(self) -> Availability:
        return Availability(self.world, self.busy, self.now().timestamp())

    # -- SMS codes -----------------------------------------------------------------------------
    def send_code(self, phone: str, location_id: int | None) -> str:
        with self.lock:
            code = self.config.sms_code or f"{self.rng.randint(0, 999_999):06d}"
            self.codes[phones.digits(phone)] = (code, self.now() + CODE_TTL)
        # The sandbox's "SMS gateway": the code is what a developer needs, so it is logged; the phone is not.
        log.info("SMS code for %s (location %s): %s", mask(phones.normalized(phone)), location_id, code)
        return code

    def code_for(self, phone: str) -> str | None:
        with self.lock:
            code, expires = self.codes.get(phones.digits(phone), ("", self.now()))
            return code if code and expires > self.now() else None

    def code_ok(self, phone: str, code: object) -> bool:
        expected = self.code_for(phone)
        return expected is not None and code is not None and str(code).strip() == expected

    # -- users and tokens ----------------------------------------------------------------------
    def _hex(self, bits: int) -> str:
        with self.lock:
            return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def token_of(self, user: User) -> str:
        """A user keeps one token until the password changes (Altegio rotates it then)."""
        with self.lock:
            for token, user_id in self.tokens.items():
                if user_id == user.id:
                    return token
            token = self._hex(96)
            self.tokens[token] = user.id
            return token

    def rotate_token(self, user: User) -> str:
        with self.lock:
            self.tokens = {t: u for t, u in self.tokens.items() if u != user.id}
            return self.token_of(user)

    def user_by_token(self, token: str) -> User | None:
        with self.lock:
            user_id = self.tokens.get(token)
            return self.users.get(user_id) if user_id is not None else None

    def user_by_login(self, login: str) -> User | None:
        login = (login or "").strip()
        with self.lock:
            for user in self.users.values():
                if login and login.lower() in (user.login.lower(), user.email.lower()):
                    return user
                if phones.digits(login) and phones.digits(login) == phones.digits(user.phone):
                    return user
        return None

    def user_for_phone(self, phone: str) -> User:
        """Phone login creates the account on first use, as Altegio does."""
        with self.lock:
            user = self.user_by_login(phone)
            if user is None:
                user = User(
                    self.next_user_id, "", phones.normalized(phone), "", phones.normalized(phone), None
                )
                self.users[user.id] = user
                self.next_user_id += 1
            return user

    def owns(self, user: User | None, record: Record) -> bool:
        return user is not None and phones.digits(user.phone) == phones.digits(record.client_phone)

    def records_of(self, user: User) -> list[Record]:
        with self.lock:
            return sorted((r for r in self.records.values() if self.owns(user, r)), key=lambda r: r.start)

    # -- records -------------------------------------------------------------------------------
    def _new_record(self, **fields) -> Record:
        now = self.now()
        loc = self.world.locations[fields["location_id"]]
        record = Record(
            id=self.next_record_id,
            hash=self._hex(128),
            created=now.astimezone(loc.tz),
            changed=now.astimezone(loc.tz),
            **fields,
        )
        self.next_record_id += 1
        self.records[record.id] = record
        return record

    def book(
        self, loc: Location, appointments: list, client: dict
    ) -> tuple[list[dict], list[tuple[int, Record]]]:
        """Check and insert atomically. Returns (errors, [(appointment id, record)])."""
        with self.lock:
            errors, planned = plan(self.availability(), loc, appointments)
            if errors:
                return errors, []
            created = [(p.appointment_id, self._insert(loc, p, client)) for p in planned]
            self._reindex()
            for _, record in created:
                self.changed("create", record, None)
            return [], created

    def _insert(self, loc: Location, p: Planned, client: dict) -> Record:
        return self._new_record(
            location_id=loc.id,
            staff_id=p.staff_id,
            service_ids=p.service_ids,
            start=p.start,
            length=p.length,
            master_requested=p.master_requested,
            custom_fields=p.custom_fields,
            **client,
        )

    def check(self, loc: Location, appointments: list) -> list[dict]:
        with self.lock:
            return plan(self.availability(), loc, appointments)[0]

    def reschedule(self, record: Record, when: str, comment: object = None) -> list[dict]:
        loc = self.world.locations[record.location_id]
        appointment = {
            "id": record.id,
            "services": list(record.service_ids),
            "datetime": when,
            "staff_id": record.staff_id if record.master_requested else 0,
        }
        with self.lock:
            errors, planned = plan(self.availability(), loc, [appointment], ignore=record.id)
            if not errors:
                before = interval(record)
                record.start, record.staff_id = planned[0].start, planned[0].staff_id
                if comment is not None:
                    record.comment = str(comment)
                record.changed = self.now().astimezone(loc.tz)
                self._reindex()
                self.changed("update", record, before)
            return errors

    def cancel(self, record: Record, source: str = "api") -> bool:
        """Delete the record; False when it already was (two cancels at once: one deletes, one event)."""
        with self.lock:
            if record.deleted:
                return False
            before = interval(record)
            record.deleted = True
            record.changed = self.now().astimezone(self.world.locations[record.location_id].tz)
            self._reindex()
            self.changed("delete", record, before, source)
            return True

    # -- the front desk (frontdesk.py holds the lock around the check and these) --------------------
    def overlap(self, staff_id: int, start_ts: float, end_ts: float, ignore: int | None) -> tuple | None:
        """The first record or group event (record id 0) of `staff_id` over [start, end), if any."""
        with self.lock:
            busy = self.busy.get(staff_id, ())
            return next((b for b in busy if b[0] < end_ts and start_ts < b[1] and b[2] != ignore), None)

    def desk_create(self, **fields) -> Record:
        with self.lock:
            record = self._new_record(online=False, **fields)
            self._reindex()
            self.changed("create", record, None, "front_desk")
            return record

    def desk_update(self, record: Record, **fields) -> None:
        with self.lock:
            before = interval(record)
            for key, value in fields.items():
                setattr(record, key, value)
            record.changed = self.now().astimezone(self.world.locations[record.location_id].tz)
            self._reindex()
            self.changed("update", record, before, "front_desk")

    def changed(self, status: str, record: Record, before: dict | None, source: str = "api") -> None:
        """A record was created, changed or deleted (under the lock): the webhooks announce it."""
        self.hooks.emit(status, record, before, self.world, source)

    def seats_left(self, activity: Activity) -> int:
        with self.lock:
            taken = sum(
                r.clients_count
                for r in self.records.values()
                if r.activity_id == activity.id and not r.deleted
            )
            return activity.capacity - taken

    def book_activity(self, activity: Activity, seats: int, client: dict) -> Record | None:
        with self.lock:
            if seats < 1 or self.seats_left(activity) < seats:
                return None
            record = self._new_record(
                location_id=activity.location_id,
                staff_id=activity.staff_id,
                service_ids=(activity.service_id,),
                start=activity.start,
                length=activity.length,
                activity_id=activity.id,
                clients_count=seats,
                **client,
            )
            self.changed("create", record, None)
            return record

    def record_by_review_token(self, token: str) -> Record | None:
        with self.lock:
            return next(
                (r for r in self.records.values() if r.review_token and r.review_token == token), None
            )
