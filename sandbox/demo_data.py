"""The seeded demo world. Fixed ids and schedules; days off and existing appointments come from the seed;
every date is relative to each location's "today", so the demo never goes stale."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, time, timedelta

from .entities import (
    Activity,
    Bookform,
    Category,
    Location,
    Record,
    Service,
    StaffMember,
    User,
    Window,
    World,
)

RECORD_ID_START = 3_000_001
FULL_EVENT = 7102  # its seats are all taken in the demo
BLACKLISTED_PHONE = "+10000000000"
# The online-booking account (POST booking/auth): login, e-mail or phone, and the password.
DEMO_USER = User(501, "Demo Visitor", "+37120000001", "demo@sandbox.test", "demo", "sandbox-pass")

MON_FRI, TUE_SAT = (0, 1, 2, 3, 4), (1, 2, 3, 4, 5)


def _t(hhmm: str) -> time:
    return time.fromisoformat(hhmm)


def _week(days: tuple[int, ...], *windows: tuple[str, str]) -> dict[int, tuple[Window, ...]]:
    return {d: tuple((_t(a), _t(b)) for a, b in windows) for d in days}


LOCATIONS = (
    Location(
        id=101,
        title="Studio Riga",
        tz_name="Europe/Riga",
        country_id=122,
        country="Latvia",
        city_id=1,
        city="Riga",
        address="Brīvības iela 68, Riga",
        phone="+37167000101",
        lat=56.9496,
        lon=24.1052,
        site="https://riga.studio.example",
        currency="EUR",
        grid_minutes=15,
        horizon_days=60,
        default_length=3600,
        privacy_policy=(
            "Studio Riga processes your name, phone number and e-mail only to manage your appointment "
            "and to remind you of it. We keep them for two years after your last visit. Write to "
            "privacy@riga.studio.example to see, correct or delete your data."
        ),
    ),
    Location(
        id=202,
        title="Studio New York",
        tz_name="America/New_York",
        country_id=1,
        country="United States",
        city_id=2,
        city="New York",
        address="787 Jackson Drive, New York, NY 10001",
        phone="+12125550202",
        lat=40.73061,
        lon=-73.935242,
        site="https://ny.studio.example",
        currency="USD",
        grid_minutes=30,
        horizon_days=60,
        default_length=3600,
    ),
)

CATEGORIES = (
    Category(1001, 101, "Hair", 20),
    Category(1002, 101, "Nails", 10),
    Category(2001, 202, "Massage", 20),
    Category(2002, 202, "Skin care", 10),
)

SERVICES = (
    Service(10011, 101, 1001, "Women's haircut", 3600, 45, 60, 50),
    Service(10012, 101, 1001, "Men's haircut", 1800, 25, 25, 40),
    Service(10013, 101, 1001, "Hair colouring", 7200, 90, 140, 30, comment="Price depends on hair length"),
    Service(10021, 101, 1002, "Manicure", 2700, 30, 35, 20),
    Service(10022, 101, 1002, "Pedicure", 3600, 40, 45, 10),
    Service(10031, 101, 1001, "Styling workshop (group)", 5400, 35, 35, 0, group_only=True),
    Service(10099, 101, 1001, "Keratin treatment", 5400, 120, 150, 0, active=False),
    Service(20011, 202, 2001, "Swedish massage (60 min)", 3600, 90, 110, 50),
    Service(20012, 202, 2001, "Deep tissue massage (90 min)", 5400, 130, 150, 40),
    Service(20021, 202, 2002, "Facial", 2700, 75, 85, 30),
    Service(20022, 202, 2002, "Express facial", 1800, 45, 45, 20),
    Service(20031, 202, 2001, "Meditation workshop (group)", 5400, 30, 30, 0, group_only=True),
    Service(20099, 202, 2001, "Hot stone massage", 5400, 140, 160, 0, active=False),
)


def _member(member_id, location_id, name, specialization, position, rating, services, weekly, weight):
    return StaffMember(
        id=member_id,
        location_id=location_id,
        name=name,
        specialization=specialization,
        position=position,
        rating=rating,
        votes_count=int(rating * 10),
        comments_count=int(rating * 3),
        weight=weight,
        information=f"<p>{specialization}.</p>",
        service_ids=frozenset(services),
        weekly=weekly,
    )


STAFF = (
    _member(
        1011,
        101,
        "Anna Ozola",
        "Senior stylist",
        (11, "Senior stylist"),
        4.9,
        {10011, 10013},
        _week(MON_FRI, ("09:00", "13:00"), ("14:00", "18:00")),
        40,
    ),
    _member(
        1012,
        101,
        "Jānis Bērziņš",
        "Barber",
        None,
        4.7,
        {10011, 10012},
        _week(TUE_SAT, ("10:00", "14:00"), ("14:30", "19:00")),
        30,
    ),
    _member(
        1013,
        101,
        "Līga Kalniņa",
        "Nail technician",
        (12, "Nail technician"),
        4.8,
        {10021, 10022},
        _week((0, 2, 3, 4, 5), ("09:00", "12:30"), ("13:00", "17:00")),
        20,
    ),
    _member(
        1014,
        101,
        "Marta Liepa",
        "Stylist and nail artist",
        (13, "Stylist"),
        4.6,
        {10011, 10012, 10021},
        _week((6, 0, 1, 2, 3), ("11:00", "15:00"), ("15:30", "20:00")),
        10,
    ),
    _member(
        2021,
        202,
        "James Carter",
        "Massage therapist",
        (21, "Senior therapist"),
        4.9,
        {20011, 20012},
        _week(MON_FRI, ("09:00", "13:00"), ("14:00", "18:00")),
        40,
    ),
    _member(
        2022,
        202,
        "Maria Lopez",
        "Esthetician",
        (22, "Esthetician"),
        4.8,
        {20021, 20022},
        _week(TUE_SAT, ("10:00", "14:00"), ("15:00", "19:00")),
        30,
    ),
    _member(
        2023,
        202,
        "Olivia Chen",
        "Massage and skin care",
        (21, "Senior therapist"),
        4.7,
        {20011, 20021, 20022},
        _week((5, 6, 0, 2), ("08:00", "12:00"), ("12:30", "16:30")),
        20,
    ),
    _member(
        2024,
        202,
        "Peter Novak",
        "Massage therapist",
        None,
        4.5,
        {20011, 20012},
        _week((2, 3, 4, 5, 6), ("12:00", "16:00"), ("16:30", "21:00")),
        10,
    ),
)

BOOKFORMS = (
    Bookform(1, 101, "en-US", ("en-US", "lv-LV", "de-DE"), phone_confirmation=True, show_privacy_policy=True),
    Bookform(2, 202, "en-US", ("en-US", "de-DE"), phone_confirmation=False, show_privacy_policy=False),
    # Riga again, with several services per visit (a haircut and a colouring with Anna, say).
    Bookform(
        3,
        101,
        "en-US",
        ("en-US", "lv-LV", "de-DE"),
        phone_confirmation=True,
        show_privacy_policy=True,
        multiple_services=True,
    ),
    # New York again, with the business's analytics ids (Google Analytics, Meta pixel, Yandex Metrika): the
    # page asks for consent before it loads any of them
    Bookform(
        9,
        202,
        "en-US",
        ("en-US", "lv-LV", "de-DE"),
        phone_confirmation=False,
        show_privacy_policy=False,
        google_analytics_id="G-SANDBOX9",
        facebook_pixel_id="900000000000009",
        metrika_counter_id=90000009,
    ),
)

CLIENT_NAMES = (
    "Ilze Krūmiņa",
    "Oskars Zariņš",
    "Elīna Vītola",
    "Kārlis Ozols",
    "Sarah Miller",
    "David Kim",
    "Emily Johnson",
    "Michael Brown",
    "Laura Sanchez",
    "Daniel Wright",
    "Zane Eglīte",
    "Rūta Priede",
)


def build_world(seed: int, now: datetime) -> World:
    rng = random.Random(seed)
    locations = {loc.id: loc for loc in LOCATIONS}
    today = {loc.id: now.astimezone(loc.tz).date() for loc in LOCATIONS}
    # Per location: a holiday (everyone off) and a fully booked day, never today or tomorrow, so a
    # calendar shows all three states: day off, working but full, bookable.
    holiday = {loc_id: day + timedelta(days=rng.randint(8, 14)) for loc_id, day in today.items()}
    full_day = {loc_id: day + timedelta(days=rng.randint(2, 7)) for loc_id, day in today.items()}
    staff = {m.id: _with_days_off(m, today[m.location_id], holiday[m.location_id], rng) for m in STAFF}
    services = {s.id: s for s in SERVICES}
    activities = _activities(locations, today)
    user = dataclasses.replace(DEMO_USER)  # users are mutable (profile, password): a fresh copy per reset
    records = _Placer(locations, staff, services, activities, now, rng).place_all(
        today, full_day, user, activities
    )
    return World(
        locations=locations,
        categories={c.id: c for c in CATEGORIES},
        services=services,
        staff=staff,
        activities=activities,
        bookforms={f.id: f for f in BOOKFORMS},
        users={user.id: user},
        records=records,
        blacklist=frozenset({BLACKLISTED_PHONE.lstrip("+")}),
    )


def _with_days_off(member: StaffMember, today: date, holiday: date, rng: random.Random) -> StaffMember:
    # Never today or tomorrow, so "book tomorrow" always works in the demo.
    own = today + timedelta(days=rng.randint(2, 20))
    return dataclasses.replace(member, days_off=frozenset({own, holiday}))


def _activities(locations: dict[int, Location], today: dict[int, date]) -> dict[int, Activity]:
    def at(loc_id: int, days: int, hhmm: str) -> datetime:
        return datetime.combine(today[loc_id] + timedelta(days=days), _t(hhmm), locations[loc_id].tz)

    # Outside their team members' working hours, so the events leave everyone's free times as they were.
    events = (
        Activity(7101, 101, 1011, 10031, "Styling workshop", at(101, 3, "18:15"), 5400, 8),
        Activity(7102, 101, 1011, 10031, "Evening styling masterclass", at(101, 2, "18:30"), 5400, 4),
        Activity(7103, 101, 1012, 10031, "Styling workshop", at(101, 6, "19:15"), 5400, 10),
        Activity(7201, 202, 2024, 20031, "Meditation workshop", at(202, 4, "19:00"), 5400, 6),
    )
    return {a.id: a for a in events}


class _Placer:
    """Lays out the existing appointments without overlaps, inside working windows."""

    def __init__(self, locations, staff, services, activities, now, rng):
        self.locations, self.staff, self.services = locations, staff, services
        self.now, self.rng = now, rng
        self.next_id = RECORD_ID_START
        self.busy: dict[int, list[tuple[float, float]]] = {m: [] for m in staff}
        for a in activities.values():
            self.busy[a.staff_id].append((a.start.timestamp(), a.start.timestamp() + a.length))
        self.records: list[Record] = []

    def place_all(
        self, today: dict[int, date], full_day: dict[int, date], user: User, activities: dict[int, Activity]
    ) -> list[Record]:
        # The demo user's own records: one to come, two past ones with review links.
        self._fixed(1014, 10021, today[101] + timedelta(days=5), user, "future")
        self._fixed(1011, 10011, today[101] - timedelta(days=3), user, "review-101")
        self._fixed(2021, 20011, today[202] - timedelta(days=2), user, "review-202")
        for member in self.staff.values():
            phone_prefix = "+3712" if member.location_id == 101 else "+1212555"
            width = 7 if member.location_id == 101 else 4
            for offset in range(15):
                day = today[member.location_id] + timedelta(days=offset)
                if day == full_day[member.location_id]:
                    self._fill(member, day, phone_prefix, width)
                    continue
                for _ in range(self.rng.randint(0, 3)):
                    service = self.services[self.rng.choice(sorted(s for s in member.service_ids))]
                    starts = self._free(member, day, service.length)
                    if starts:
                        phone = phone_prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(width))
                        name = self.rng.choice(CLIENT_NAMES)
                        self._add(member, service, self.rng.choice(starts), name, phone)
        # Last, so the appointments above come out as they did before the event existed.
        self._fill_event(activities[FULL_EVENT])
        return sorted(self.records, key=lambda r: r.id)

    def _fill_event(self, activity: Activity) -> None:
        """Every seat of the event taken, two by two."""
        loc = self.locations[activity.location_id]
        for _ in range(activity.capacity // 2):
            phone = "+3712" + "".join(str(self.rng.randint(0, 9)) for _ in range(7))
            created = min(self.now, activity.start) - timedelta(days=self.rng.randint(1, 10))
            self.records.append(
                Record(
                    id=self.next_id,
                    hash=f"{self.rng.getrandbits(128):032x}",
                    location_id=loc.id,
                    staff_id=activity.staff_id,
                    service_ids=(activity.service_id,),
                    start=activity.start,
                    length=activity.length,
                    client_name=self.rng.choice(CLIENT_NAMES),
                    client_phone=phone,
                    activity_id=activity.id,
                    clients_count=2,
                    created=created.astimezone(loc.tz),
                    changed=created.astimezone(loc.tz),
                )
            )
            self.next_id += 1

    def _fill(self, member: StaffMember, day: date, phone_prefix: str, width: int) -> None:
        shortest = min((self.services[s] for s in member.service_ids), key=lambda s: s.length)
        while starts := self._free(member, day, shortest.length):
            phone = phone_prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(width))
            self._add(member, shortest, starts[0], self.rng.choice(CLIENT_NAMES), phone)

    def _fixed(self, staff_id: int, service_id: int, day: date, user: User, kind: str) -> None:
        member, service = self.staff[staff_id], self.services[service_id]
        # A past one looks further back for a working day: forward could carry it past today.
        step = timedelta(days=1 if kind == "future" else -1)
        while not self._free(member, day, service.length):
            day += step
        start = self._free(member, day, service.length)[0]
        record = self._add(member, service, start, user.name, user.phone, email=user.email, online=True)
        if kind != "future":
            record.review_token, record.attendance = kind, 1

    def _free(self, member: StaffMember, day: date, length: int) -> list[float]:
        loc = self.locations[member.location_id]
        starts = []
        for a, b in member.windows_on(day):
            t = datetime.combine(day, a, loc.tz).timestamp()
            end = datetime.combine(day, b, loc.tz).timestamp()
            while t + length <= end:
                if not any(s < t + length and e > t for s, e in self.busy[member.id]):
                    starts.append(t)
                t += loc.grid_minutes * 60
        return starts

    def _add(self, member, service, start_ts, name, phone, email="", online=False) -> Record:
        loc = self.locations[member.location_id]
        start = datetime.fromtimestamp(start_ts, loc.tz)
        created = min(self.now, start) - timedelta(days=self.rng.randint(1, 10))
        record = Record(
            id=self.next_id,
            hash=f"{self.rng.getrandbits(128):032x}",
            location_id=loc.id,
            staff_id=member.id,
            service_ids=(service.id,),
            start=start,
            length=service.length,
            client_name=name,
            client_phone=phone,
            client_email=email,
            online=online,
            created=created.astimezone(loc.tz),
            changed=created.astimezone(loc.tz),
        )
        self.next_id += 1
        self.busy[member.id].append((start_ts, start_ts + service.length))
        self.records.append(record)
        return record
