"""Stale slots: times a visitor was shown after a booking had already taken them.

Checked against the sandbox's ledger with the sandbox's own availability rules: the seeded world
(schedules, events) is rebuilt with the same seed and the run's record changes are replayed on it, each
from the moment the sandbox made it (the ledger's `changes`, on every path: the visitors' bookings through
a contender and the front desk's bookings and cancels straight at the sandbox). A slot shown in answer to
a request sent at time t and answered at t + ms is stale when no team member the visitor asked for (the
one named, or any who provides the service) is free for it at t, counting every change Altegio had made
before t, nor at any moment until the answer came: a change while the request was answered (a cancel
freeing the time) may rightly show in it (`freed_while_answered`, not stale), one made before it was
sent must. A stale slot that would have been free without the front desk's changes counts as caused by
an external change as well.

With webhooks (the ledger's `deliveries`, the sandbox's delivery log), each stale slot is also told by
when the changes that took it reached the contender: a slot asked for before the webhook of every change
taking it was answered is `before_webhook` (the gateway could not have known yet: the delivery's latency),
any other is `after_webhook` (the gateway was told and still showed it: a bug to find). Both stay in
`stale_slots_shown`; the split only says where each came from.
"""

from __future__ import annotations

from collections import Counter
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

    def copy(self) -> _View:
        """The same state, to move on without changing this one."""
        other = object.__new__(_View)
        other.staff_of = dict(self.staff_of)
        other.busy = {m: list(b) for m, b in self.busy.items()}
        other.av = Availability(self.av.world, other.busy, now_ts=self.av.now_ts)
        return other

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
        return sorted(
            {rid for rids in self.blockers(loc, staff_id, service_id, when).values() for rid in rids}
        )

    def blockers(self, loc, staff_id: int, service_id: int, when: datetime) -> dict[int, list[int]]:
        """Each asked team member whose only obstacle at `when` is other bookings: those records (0: a
        group event). A member not working then, or off the grid, is not named."""
        start = when.timestamp()
        length = self.av.length_of(loc, [service_id])
        out = {}
        for m in self.av.candidates(loc.id, [service_id], staff_id):
            if self.av.check(loc, m, when, length) == "taken":
                out[m.id] = sorted({b[2] for b in self.busy[m.id] if b[0] < start + length and start < b[1]})
        return out


EXAMPLES = 20  # stale slots described in full, to tell a race from a bug


def delivered_at(ledger: dict) -> dict[int, float] | None:
    """Change number -> when its first successful webhook delivery was answered (host clock); None when
    the ledger has no delivery log (a contender without webhooks)."""
    deliveries = ledger.get("deliveries")
    if deliveries is None:
        return None
    out: dict[int, float] = {}
    for d in deliveries:
        if d.get("outcome") == "delivered":
            out[d["change"]] = min(out.get(d["change"], d["ts"]), d["ts"])
    return out


def count_stale(shown: list[dict], ledger: dict, seed: int, started: float) -> dict:
    """shown: [{t, location, staff_id, service_id, slots: [iso datetime], cache?}] in any order."""
    world = build_world(seed, datetime.fromtimestamp(started, UTC))
    changes = sorted(ledger.get("changes", []), key=lambda c: (c["ts"], c["seq"]))
    answered = delivered_at(ledger)
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
    after_webhook_examples: list[dict] = []  # stale although every change taking it had been delivered
    by_cache: Counter = Counter()
    before_webhook: list[float] = []  # for each such stale slot: seconds from the change to the ask
    memo: dict[tuple, tuple[int, bool]] = {}
    total = stale = external = answers_with_stale = raced = 0
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
            if not hit[1] and _freed_while_answered(everyone, changes, applied, item, loc, iso):
                raced += 1  # a change while it was answered (a cancel) freed it: rightly shown
                continue
            if not hit[1]:
                stale += 1
                external += hit[2]
                any_stale = True
                by_cache[item.get("cache") or "none"] += 1
                when = datetime.fromisoformat(iso)
                takers = everyone.takers(loc, item["staff_id"], item["service_id"], when)
                example = None
                if len(examples) < EXAMPLES:
                    example = _example(item, iso, takers, last_change, answered)
                    if item.get("cache") == "miss":  # Altegio's own list: when did it serve it?
                        example["upstream_asks"] = _upstream_asks(ledger, item, iso)
                    examples.append(example)
                if answered is not None:
                    blockers = everyone.blockers(loc, item["staff_id"], item["service_id"], when)
                    pending = _undelivered(item["t"], blockers, last_change, answered)
                    if pending is not None:
                        before_webhook.append(pending)
                    elif len(after_webhook_examples) < EXAMPLES:
                        example = dict(example or _example(item, iso, takers, last_change, answered))
                        example["upstream_asks"] = _upstream_asks(ledger, item, iso)
                        after_webhook_examples.append(example)
        answers_with_stale += any_stale
    return {
        "slots_shown": total,
        "stale_slots_shown": stale,
        "stale_share": round(stale / total, 5) if total else 0.0,
        "stale_from_external_changes": external,
        # taken when asked, freed before the answer came: the list rightly showed the freed time
        "freed_while_answered": raced,
        "answers": len(shown),
        "answers_with_stale": answers_with_stale,
        "bookings_during_run": sum(c["status"] == "create" and c["source"] != EXTERNAL for c in changes),
        "external_changes": sum(c["source"] == EXTERNAL for c in changes),
        "stale_by_cache": dict(by_cache.most_common()),
        **(
            {}
            if answered is None
            else _webhook_figures(changes, answered, before_webhook, stale, ledger["deliveries"])
        ),
        "stale_examples": examples,
        **({} if answered is None else {"stale_after_webhook_examples": after_webhook_examples}),
    }


def _freed_while_answered(view: _View, changes: list[dict], applied: int, item: dict, loc, iso: str) -> bool:
    """Was the slot free at some moment between the ask (`view`, the first `applied` changes) and the
    answer (`ms` later)? The contender may have asked Altegio at any moment in between."""
    until = item["t"] + item.get("ms", 0.0) / 1000
    later = [c for c in changes[applied:] if c["ts"] <= until]
    if not later:
        return False
    moved = view.copy()
    when = datetime.fromisoformat(iso)
    for change in later:
        moved.put(change["record_id"], change["after"])
        if moved.free(loc, item["staff_id"], item["service_id"], when):
            return True
    return False


def _undelivered(
    t: float, blockers: dict[int, list[int]], last_change: dict[int, dict], answered: dict
) -> float | None:
    """Would an asked team member be free at `t` but for changes whose webhooks had not been answered by
    then? Seconds from the latest such change to the ask (the smallest, of several members), else None."""
    gaps = []
    for rids in blockers.values():
        changes = [last_change.get(rid) for rid in rids]
        if rids and all(c is not None and answered.get(c["seq"], float("inf")) > t for c in changes):
            gaps.append(t - max(c["ts"] for c in changes))
    return min(gaps) if gaps else None


def _upstream_asks(ledger: dict, item: dict, iso: str, within: float = 30.0) -> list[list]:
    """The sandbox's own answers for the list of a stale slot around its ask: [seconds from the ask to
    when the sandbox got the request, to when it answered, status], to tell a list Altegio served wrongly
    from one the contender kept."""
    path = f"/book_times/{item['location']}/{item['staff_id']}/{iso[:10]}?"
    out = []
    for r in ledger.get("requests", []):
        if (
            path in r["path"]
            and str(item["service_id"]) in r["path"]
            and -1 < r["arrived"] - item["t"] < within
        ):
            out.append([round(r["arrived"] - item["t"], 3), round(r["ts"] - item["t"], 3), r["status"]])
    return out


def _webhook_figures(
    changes: list[dict], answered: dict, before: list[float], stale: int, deliveries: list[dict]
) -> dict:
    """How long the webhooks took, and which stale slots their latency explains."""
    lags = sorted(answered[c["seq"]] - c["ts"] for c in changes if c["seq"] in answered)
    handled = sorted(d["ms"] for d in deliveries if d.get("outcome") == "delivered" and "ms" in d)
    return {
        "webhooks": {
            "changes": len(changes),
            "delivered": len(lags),
            # the receiver's own time per delivery (the POST's round trip); the rest of the lag is the queue
            "answer_ms": {"p50": _q(handled, 0.5), "max": handled[-1] if handled else None},
            "answered_s_after_change": {
                "p50": _q(lags, 0.5),
                "p95": _q(lags, 0.95),
                "max": round(lags[-1], 3) if lags else None,
            },
        },
        # Stale slots asked for before the webhook of the change taking them was answered (counted above
        # too), with the window: how long after the change those asks were sent.
        "stale_before_webhook": {
            "count": len(before),
            "ask_s_after_change": [round(min(before), 3), round(max(before), 3)] if before else None,
        },
        "stale_after_webhook": stale - len(before),
    }


def _q(values: list[float], q: float) -> float | None:
    return round(values[min(len(values) - 1, int(q * len(values)))], 3) if values else None


def _example(
    item: dict, iso: str, takers: list[int], last_change: dict[int, dict], answered: dict | None = None
) -> dict:
    """One stale slot: the answer, and each record taking the time with how long before the ask it changed
    (and, with webhooks, how long after the ask its webhook was answered: negative, before the ask)."""
    taken_by = []
    for rid in takers:
        change = last_change.get(rid)
        entry = (
            {"record_id": rid, "source": change["source"], "status": change["status"],
             "changed_s_before_ask": round(item["t"] - change["ts"], 3),
             "staff_id": change["after"]["staff_id"], "datetime": change["after"]["datetime"],
             "length": change["after"]["length"]}
            if change else {"record_id": rid, "source": "before the run"}
        )  # fmt: skip
        if change and answered is not None:
            at = answered.get(change["seq"])
            entry["webhook_answered_s_after_ask"] = None if at is None else round(at - item["t"], 3)
        taken_by.append(entry)
    return {
        "t": item["t"], "answered_ms": round(item["ms"]) if "ms" in item else None,
        "location": item["location"], "staff_id": item["staff_id"],
        "service_id": item["service_id"], "slot": iso, "cache": item.get("cache"), "taken_by": taken_by,
    }  # fmt: skip
