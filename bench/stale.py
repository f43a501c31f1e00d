"""Stale slots: times a visitor was shown after a booking had already taken them.

Checked against the sandbox's ledger with the sandbox's own availability rules: the seeded world
(schedules, events) is rebuilt with the same seed, the ledger's appointments are laid on it, and each
booking made during the run counts from the moment the sandbox answered its POST book_record. A
slot shown in answer to a request sent at time t is stale when no team member the visitor asked for
(the one named, or any who provides the service) is still free for it, counting every booking Altegio
had made before t (a request racing a booking may rightly see either state; one sent after it may not).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.availability import Availability
from sandbox.demo_data import build_world


def booking_times(ledger: dict) -> dict[int, float]:
    """record id -> when the sandbox answered the POST book_record that created it (epoch seconds).

    Record ids are handed out in creation order and each POST book_record creates one record, so the
    run's records pair with the ledger's successful POST book_record entries in order."""
    runtime = sorted(
        a["record_id"] for a in ledger["appointments"] if not a.get("demo") and not a["activity_id"]
    )
    answered = sorted(
        (r["seq"], r["ts"])
        for r in ledger["requests"]
        if r.get("operation") == "create_online_booking" and 200 <= r["status"] < 300
    )
    if len(answered) == len(runtime):
        return {rid: ts for rid, (_, ts) in zip(runtime, answered, strict=True)}
    # Ledger trimmed or another writer: fall back to the appointment's own (whole-second) timestamp.
    out = {}
    for a in ledger["appointments"]:
        if not a.get("demo") and a.get("created"):
            out[a["record_id"]] = datetime.fromisoformat(a["created"]).timestamp() + 1.0
    return out


def count_stale(shown: list[dict], ledger: dict, seed: int, started: float) -> dict:
    """shown: [{t, location, staff_id, service_id, slots: [iso datetime]}] in any order."""
    world = build_world(seed, datetime.fromtimestamp(started, UTC))
    made = booking_times(ledger)
    base: dict[int, list] = {m: [] for m in world.staff}
    for a in world.activities.values():
        base[a.staff_id].append((a.start.timestamp(), a.start.timestamp() + a.length, 0))
    runtime = []
    for a in ledger["appointments"]:
        if a["deleted"] or a["activity_id"] or a["staff_id"] not in base:
            continue
        start = datetime.fromisoformat(a["datetime"]).timestamp()
        item = (start, start + a["length"], a["record_id"])
        if a.get("demo") or a["record_id"] not in made:
            base[a["staff_id"]].append(item)
        else:
            runtime.append((made[a["record_id"]], a["staff_id"], item))
    runtime.sort()
    busy = {k: list(v) for k, v in base.items()}
    av = Availability(world, busy, now_ts=started)  # every slot shown was in the future when the run began
    applied = 0
    memo: dict[tuple, tuple[int, bool]] = {}
    total = stale = answers_with_stale = 0
    for item in sorted(shown, key=lambda x: x["t"]):
        while applied < len(runtime) and runtime[applied][0] <= item["t"]:
            _, staff_id, interval = runtime[applied]
            busy[staff_id].append(interval)
            applied += 1
        loc = world.locations[item["location"]]
        any_stale = False
        for iso in item["slots"]:
            key = (loc.id, item["staff_id"], item["service_id"], iso)
            hit = memo.get(key)
            if hit is None or hit[0] != applied:
                when = datetime.fromisoformat(iso)
                length = av.length_of(loc, [item["service_id"]])
                staff = av.candidates(loc.id, [item["service_id"]], item["staff_id"])
                free = any(av.check(loc, m, when, length) == "ok" for m in staff)
                hit = memo[key] = (applied, free)
            total += 1
            if not hit[1]:
                stale += 1
                any_stale = True
        answers_with_stale += any_stale
    return {
        "slots_shown": total,
        "stale_slots_shown": stale,
        "stale_share": round(stale / total, 5) if total else 0.0,
        "answers": len(shown),
        "answers_with_stale": answers_with_stale,
        "bookings_during_run": len(runtime),
    }
