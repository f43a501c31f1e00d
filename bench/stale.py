"""Stale slots: times a visitor was shown after a booking had already taken them.

Checked against the sandbox's ledger with the sandbox's own availability rules: the seeded world
(schedules, events) is rebuilt with the same seed and the run's record changes are replayed on it, each
from the moment the sandbox made it (the ledger's `changes`, on every path: the visitors' bookings through
a contender and the front desk's bookings and cancels straight at the sandbox). A slot shown in answer to
a request sent at time t is stale when no team member the visitor asked for (the one named, or any who
provides the service) is still free for it, counting every change Altegio had made before t (a request
racing a change may rightly see either state; one sent after it may not). A stale slot that would have
been free without the front desk's changes counts as caused by an external change as well.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.availability import Availability
from sandbox.demo_data import build_world

EXTERNAL = "front_desk"  # the source of changes made outside the contender (sandbox/frontdesk.py)


def _interval(state: dict | None) -> tuple[float, float] | None:
    """The time a record's state takes from its team member, if any (a deleted or group record: none)."""
    if not state or state.get("deleted") or state.get("activity_id"):
        return None
    start = datetime.fromisoformat(state["datetime"]).timestamp()
    return start, start + state["length"]


class _View:
    """Busy time per team member as the changes applied so far leave it."""

    def __init__(self, world, started: float):
        self.staff_of: dict[int, int] = {}  # record id -> the team member it keeps busy
        self.busy: dict[int, list] = {m: [] for m in world.staff}
        for a in world.activities.values():
            self.busy[a.staff_id].append((a.start.timestamp(), a.start.timestamp() + a.length, 0))
        # every slot shown was in the future when the run began
        self.av = Availability(world, self.busy, now_ts=started)

    def put(self, record_id: int, state: dict | None) -> None:
        """The record is now in `state` (None: it does not exist)."""
        old = self.staff_of.pop(record_id, None)
        if old is not None:
            self.busy[old] = [b for b in self.busy[old] if b[2] != record_id]
        span = _interval(state)
        if span is not None and state["staff_id"] in self.busy:
            self.staff_of[record_id] = state["staff_id"]
            self.busy[state["staff_id"]].append((*span, record_id))

    def free(self, loc, staff_id: int, service_id: int, when: datetime) -> bool:
        length = self.av.length_of(loc, [service_id])
        staff = self.av.candidates(loc.id, [service_id], staff_id)
        return any(self.av.check(loc, m, when, length) == "ok" for m in staff)

    def takers(self, loc, staff_id: int, service_id: int, when: datetime) -> list[int]:
        """The records keeping the asked team members busy at `when` (0: a group event)."""
        start = when.timestamp()
        end = start + self.av.length_of(loc, [service_id])
        staff = self.av.candidates(loc.id, [service_id], staff_id)
        return sorted({b[2] for m in staff for b in self.busy[m.id] if b[0] < end and start < b[1]})


EXAMPLES = 20  # stale slots described in full, to tell a race from a bug


def count_stale(shown: list[dict], ledger: dict, seed: int, started: float) -> dict:
    """shown: [{t, location, staff_id, service_id, slots: [iso datetime], cache?}] in any order."""
    world = build_world(seed, datetime.fromtimestamp(started, UTC))
    changes = sorted(ledger.get("changes", []), key=lambda c: (c["ts"], c["seq"]))
    first_before: dict[int, dict | None] = {}
    for change in changes:
        first_before.setdefault(change["record_id"], change["before"])
    everyone, own = _View(world, started), _View(world, started)  # own: without the front desk's changes
    for a in ledger["appointments"]:
        rid = a["record_id"]
        state = first_before.get(rid, a)  # as before its first change, if it changed
        for view in (everyone, own):
            view.put(rid, state)
    applied = 0
    last_change: dict[int, dict] = {}  # record id -> its latest change applied so far
    examples: list[dict] = []
    memo: dict[tuple, tuple[int, bool]] = {}
    total = stale = external = answers_with_stale = 0
    for item in sorted(shown, key=lambda x: x["t"]):
        while applied < len(changes) and changes[applied]["ts"] <= item["t"]:
            change = changes[applied]
            everyone.put(change["record_id"], change["after"])
            last_change[change["record_id"]] = change
            if change["source"] != EXTERNAL:
                own.put(change["record_id"], change["after"])
            applied += 1
        loc = world.locations[item["location"]]
        any_stale = False
        for iso in item["slots"]:
            key = (loc.id, item["staff_id"], item["service_id"], iso)
            hit = memo.get(key)
            if hit is None or hit[0] != applied:
                when = datetime.fromisoformat(iso)
                free = everyone.free(loc, item["staff_id"], item["service_id"], when)
                caused = not free and own.free(loc, item["staff_id"], item["service_id"], when)
                hit = memo[key] = (applied, free, caused)
            total += 1
            if not hit[1]:
                stale += 1
                external += hit[2]
                any_stale = True
                if len(examples) < EXAMPLES:
                    when = datetime.fromisoformat(iso)
                    takers = everyone.takers(loc, item["staff_id"], item["service_id"], when)
                    examples.append(_example(item, iso, takers, last_change))
        answers_with_stale += any_stale
    return {
        "slots_shown": total,
        "stale_slots_shown": stale,
        "stale_share": round(stale / total, 5) if total else 0.0,
        "stale_from_external_changes": external,
        "answers": len(shown),
        "answers_with_stale": answers_with_stale,
        "bookings_during_run": sum(c["status"] == "create" and c["source"] != EXTERNAL for c in changes),
        "external_changes": sum(c["source"] == EXTERNAL for c in changes),
        "stale_examples": examples,
    }


def _example(item: dict, iso: str, takers: list[int], last_change: dict[int, dict]) -> dict:
    """One stale slot: the answer, and each record taking the time with how long before the ask it changed."""
    taken_by = []
    for rid in takers:
        change = last_change.get(rid)
        taken_by.append(
            {"record_id": rid, "source": change["source"], "status": change["status"],
             "changed_s_before_ask": round(item["t"] - change["ts"], 3)}
            if change else {"record_id": rid, "source": "before the run"}
        )  # fmt: skip
    return {
        "t": item["t"], "location": item["location"], "staff_id": item["staff_id"],
        "service_id": item["service_id"], "slot": iso, "cache": item.get("cache"), "taken_by": taken_by,
    }  # fmt: skip
