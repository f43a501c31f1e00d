"""Free time, computed on demand: working windows minus records and events, cut to the service length.

All interval arithmetic is in epoch seconds, so DST changes cannot shift a slot.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .entities import Location, Service, StaffMember, World

Busy = dict[int, list[tuple[float, float, int]]]  # staff id -> (start, end, record id or 0 for events)


class Availability:
    def __init__(self, world: World, busy: Busy, now_ts: float):
        self.world = world
        self.busy = busy
        self.now_ts = now_ts

    def today(self, loc: Location) -> date:
        return datetime.fromtimestamp(self.now_ts, loc.tz).date()

    def last_day(self, loc: Location) -> date:
        return self.today(loc) + timedelta(days=loc.horizon_days)

    def bookable_services(self, location_id: int) -> list[Service]:
        services = [
            s
            for s in self.world.services.values()
            if s.location_id == location_id and s.active and not s.group_only
        ]
        return sorted(services, key=lambda s: (-s.weight, s.id))

    def length_of(self, loc: Location, service_ids: list[int]) -> int:
        lengths = [self.world.services[i].length for i in service_ids if i in self.world.services]
        return sum(lengths) if lengths else loc.default_length

    def candidates(self, location_id: int, service_ids: list[int], staff_id: int = 0) -> list[StaffMember]:
        """Team members of the location who provide every one of the services, heaviest first."""
        wanted = set(service_ids)
        staff = [
            m
            for m in self.world.staff.values()
            if m.location_id == location_id
            and wanted <= m.service_ids
            and (staff_id == 0 or m.id == staff_id)
        ]
        return sorted(staff, key=lambda m: (-m.weight, m.id))

    def windows(self, loc: Location, member: StaffMember, day: date) -> list[tuple[float, float]]:
        if day < self.today(loc) or day > self.last_day(loc):
            return []
        return [
            (datetime.combine(day, a, loc.tz).timestamp(), datetime.combine(day, b, loc.tz).timestamp())
            for a, b in member.windows_on(day)
        ]

    def _busy_between(
        self, staff_id: int, start: float, end: float, ignore: int | None
    ) -> list[tuple[float, float]]:
        return [
            (s, e) for s, e, rid in self.busy.get(staff_id, ()) if s < end and e > start and rid != ignore
        ]

    def free_starts(
        self,
        loc: Location,
        member: StaffMember,
        day: date,
        length: int,
        ignore: int | None = None,
        limit: int = 0,
    ) -> list[float]:
        """Slot starts on the location's grid where `length` seconds fit; `limit` stops early."""
        grid = loc.grid_minutes * 60
        starts: list[float] = []
        for w_start, w_end in self.windows(loc, member, day):
            taken = self._busy_between(member.id, w_start, w_end, ignore)
            t = w_start
            while t + length <= w_end:
                if t >= self.now_ts and not any(s < t + length and e > t for s, e in taken):
                    starts.append(t)
                    if limit and len(starts) >= limit:
                        return starts
                t += grid
        return starts

    def day_slots(
        self, loc: Location, staff: list[StaffMember], day: date, length: int
    ) -> dict[float, list[int]]:
        """Slot start -> free team members (for 'any team member', the union of theirs)."""
        slots: dict[float, list[int]] = {}
        for member in staff:
            for t in self.free_starts(loc, member, day, length):
                slots.setdefault(t, []).append(member.id)
        return dict(sorted(slots.items()))

    def has_slot(self, loc: Location, staff: list[StaffMember], day: date, length: int) -> bool:
        return any(self.free_starts(loc, m, day, length, limit=1) for m in staff)

    def works_on(self, loc: Location, staff: list[StaffMember], day: date) -> bool:
        return any(self.windows(loc, m, day) for m in staff)

    def first_day(
        self, loc: Location, staff: list[StaffMember], from_day: date, length: int
    ) -> tuple[date, dict[float, list[int]]] | None:
        day = max(from_day, self.today(loc))
        while day <= self.last_day(loc):
            slots = self.day_slots(loc, staff, day, length)
            if slots:
                return day, slots
            day += timedelta(days=1)
        return None

    def check(
        self, loc: Location, member: StaffMember, start: datetime, length: int, ignore: int | None = None
    ) -> str:
        """'ok', or why `member` can't take [start, start+length): 'past', 'outside' (hours/grid), 'taken'."""
        t = start.timestamp()
        if t < self.now_ts:
            return "past"
        day = start.astimezone(loc.tz).date()
        grid = loc.grid_minutes * 60
        window = next(((s, e) for s, e in self.windows(loc, member, day) if s <= t and t + length <= e), None)
        if window is None or (t - window[0]) % grid:
            return "outside"
        return "taken" if self._busy_between(member.id, t, t + length, ignore) else "ok"
