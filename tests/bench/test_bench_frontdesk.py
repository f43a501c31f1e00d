"""The bench's front desk: a seeded plan, played straight at the sandbox, and the stale-slot count that
replays every record change, the front desk's included."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import urllib3

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT / "tests" / "sandbox", ROOT / "layers" / "common", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from sandbox_testkit import AltegioClient, appointment, book, local_day, times  # noqa: E402

from bench.frontdesk import Action, FrontDesk, plan_actions  # noqa: E402
from bench.report import ratios  # noqa: E402
from bench.settings import CONTENDER_SPECS  # noqa: E402
from bench.stale import count_stale  # noqa: E402
from sandbox import Sandbox, SandboxConfig  # noqa: E402

NEW_YORK = 202


@pytest.fixture
def sb():
    with Sandbox(SandboxConfig(rate_limit=False, log_requests=False)) as sandbox:
        yield sandbox


def test_the_plan_is_seeded_and_about_the_rate():
    assert plan_actions(4, 600, seed=7) == plan_actions(4, 600, seed=7)
    assert plan_actions(4, 600, seed=7) != plan_actions(4, 600, seed=8)
    assert plan_actions(0, 600, seed=7) == []
    hour = plan_actions(6, 3600, seed=3)
    assert 300 <= len(hour) <= 420  # 360 expected
    assert all(0 <= a.at < 3600 for a in hour) and [a.at for a in hour] == sorted(a.at for a in hour)
    assert 0.3 < sum(a.cancel for a in hour) / len(hour) < 0.5


def test_the_desk_books_and_cancels_at_the_sandbox_and_tries_the_next_time_when_one_is_taken(sb):
    book = Action(at=0.0, cancel=False, location=NEW_YORK, member=0.0, service=0.0, day=1, time=0.0)
    actions = [
        Action(**{**book.__dict__, "cancel": True}),  # nothing of its own to cancel yet: it books
        book,  # the same choice again: that time is taken now, so the next free one
        Action(**{**book.__dict__, "cancel": True}),
    ]
    desk = FrontDesk(sb.url, actions, seed=1).start(time.time())
    deadline = time.monotonic() + 20
    while desk.tally.booked + desk.tally.cancelled + desk.tally.failed + desk.tally.refused < 3:
        assert time.monotonic() < deadline, desk.tally
        time.sleep(0.01)
    tally = desk.stop()
    assert (tally.booked, tally.cancelled, tally.refused, tally.failed) == (2, 1, 0, 0), tally.errors
    changes = sb.ledger()["changes"]
    assert [(c["status"], c["source"]) for c in changes] == [
        ("create", "front_desk"),
        ("create", "front_desk"),
        ("delete", "front_desk"),
    ]
    one, two = changes[0]["after"], changes[1]["after"]
    assert one["staff_id"] == two["staff_id"] and one["datetime"] < two["datetime"]  # the next free time
    assert changes[2]["record_id"] in (changes[0]["record_id"], changes[1]["record_id"])
    assert all(not a["online"] for a in sb.appointments() if a["record_id"] == changes[0]["record_id"])


def test_stale_slots_count_the_front_desks_changes_until_they_are_undone(sb):
    api = AltegioClient(sb.api_base)
    started = time.time()
    # A day with a few times for James (he works Monday to Friday; some days are full).
    days = (local_day(sb, NEW_YORK, n) for n in range(1, 15))
    shown = next(s for s in (times(api, NEW_YORK, 2021, d, [20011]) for d in days) if len(s) >= 4)
    listing = [s.datetime.isoformat() for s in shown]

    def seen() -> dict:
        """The list as a visitor was shown it now (the same list every time: it ages)."""
        return {
            "t": time.time(),
            "location": NEW_YORK,
            "staff_id": 2021,
            "service_id": 20011,
            "slots": listing,
        }

    before = seen()
    desk = f"{sb.url}/__admin/front_desk/{NEW_YORK}"
    made = urllib3.request("POST", desk, json={"staff_id": 2021, "services": [20011], "datetime": listing[0]})
    assert made.status == 201
    after_desk = seen()
    assert book(api, NEW_YORK, [appointment(shown[-1], 2021, [20011])], phone="+12125550155").status == 201
    after_both = seen()
    assert urllib3.request("DELETE", f"{desk}/{made.json()['data']['id']}").status == 200
    after_cancel = seen()

    def count(item: dict) -> dict:
        return count_stale([item], sb.ledger(), 1, started)

    assert count(before)["stale_slots_shown"] == 0
    # A 60-minute booking takes its own start and any start of the list less than an hour before it.
    desk_took = count(after_desk)
    assert desk_took["stale_slots_shown"] == desk_took["stale_from_external_changes"] >= 1
    both = count(after_both)
    visitor_took = both["stale_slots_shown"] - desk_took["stale_slots_shown"]
    assert visitor_took >= 1 and both["stale_from_external_changes"] == desk_took["stale_slots_shown"]
    last = count(after_cancel)  # the desk's time is free again: only the visitor's are stale
    assert (last["stale_slots_shown"], last["stale_from_external_changes"]) == (visitor_took, 0)
    assert (last["external_changes"], last["bookings_during_run"]) == (2, 1)


def test_a_contender_is_one_entry_and_every_other_is_compared_with_the_gateway():
    kinds = {spec.kind for spec in CONTENDER_SPECS.values()}
    assert kinds <= {"direct", "stack", "nginx"} and all(spec.color for spec in CONTENDER_SPECS.values())
    figures = {
        "latency_ms": {"p50": 10, "p95": 20, "p99": 30},
        "served_rps": 5.0,
        "upstream": {"requests_in_window": 10},
        "failed": 0,
    }
    compared = ratios({"gateway": figures, "direct": figures, "gateway_webhooks": figures})
    assert set(compared) == {"gateway_vs_direct", "gateway_vs_gateway_webhooks"}


def desk_booking_of_a_listed_time(sb) -> tuple[float, list[str], str, dict]:
    """(when it started, a New York day's listed times of member 2021, the front desk's URL, the desk's
    booking of the first of them)."""
    api = AltegioClient(sb.api_base)
    started = time.time()
    days = (local_day(sb, NEW_YORK, n) for n in range(1, 15))
    shown = next(s for s in (times(api, NEW_YORK, 2021, d, [20011]) for d in days) if len(s) >= 4)
    listing = [s.datetime.isoformat() for s in shown]
    desk = f"{sb.url}/__admin/front_desk/{NEW_YORK}"
    made = urllib3.request("POST", desk, json={"staff_id": 2021, "services": [20011], "datetime": listing[0]})
    assert made.status == 201
    return started, listing, desk, made.json()


def test_stale_slots_asked_before_their_webhook_was_answered_are_told_apart_and_still_counted(sb):
    started, listing, desk, made = desk_booking_of_a_listed_time(sb)
    ledger = sb.ledger()
    (change,) = ledger["changes"]
    late, early = change["ts"] + 5.0, change["ts"] + 0.5  # the webhook answered 5 s after the change
    ledger["deliveries"] = [
        {"change": change["seq"], "outcome": "retry", "ts": early},  # a failed attempt tells nothing
        {"change": change["seq"], "outcome": "delivered", "ts": late, "ms": 40.0},
    ]

    def asked(after_change: float, cache: str) -> dict:
        t = change["ts"] + after_change
        return {
            "t": t,
            "location": NEW_YORK,
            "staff_id": 2021,
            "service_id": 20011,
            "slots": listing,
            "cache": cache,
        }

    one = count_stale([asked(1.0, "hit")], ledger, 1, started)  # before the webhook came
    taken = one["stale_slots_shown"]
    assert taken >= 1 and one["stale_before_webhook"] == {"count": taken, "ask_s_after_change": [1.0, 1.0]}
    assert one["stale_after_webhook"] == 0 and one["stale_by_cache"] == {"hit": taken}
    assert one["webhooks"] == {
        "changes": 1,
        "delivered": 1,
        "answer_ms": {"p50": 40.0, "max": 40.0},
        "answered_s_after_change": {"p50": 5.0, "p95": 5.0, "max": 5.0},
    }
    assert one["stale_examples"][0]["taken_by"][0]["webhook_answered_s_after_ask"] == 4.0
    # Asked after it was answered: the gateway knew, so the same slots are a bug, and said to be one.
    two = count_stale([asked(1.0, "hit"), asked(6.0, "miss")], ledger, 1, started)
    assert two["stale_slots_shown"] == 2 * taken and two["stale_after_webhook"] == taken
    assert two["stale_before_webhook"]["count"] == taken and two["stale_by_cache"] == {
        "hit": taken,
        "miss": taken,
    }
    assert {e["cache"] for e in two["stale_after_webhook_examples"]} == {"miss"}
    # Never delivered: every such slot is before its webhook, however late it was asked.
    ledger["deliveries"] = []
    never = count_stale([asked(60.0, "stale")], ledger, 1, started)
    assert never["stale_before_webhook"] == {"count": taken, "ask_s_after_change": [60.0, 60.0]}
    # Without a delivery log (a contender without webhooks) there is no such split.
    del ledger["deliveries"]
    plain = count_stale([asked(1.0, "hit")], ledger, 1, started)
    assert "stale_before_webhook" not in plain and plain["stale_slots_shown"] == taken


def test_the_replay_agrees_with_the_sandbox_after_every_front_desk_change(sb):
    """The stale-slot count replays the sandbox's own changes on its own rules: every list the sandbox
    serves (every team member and "any", every service, the days the desk books on) is free by the replay
    right after each booking and cancel, a visitor's booking among them. A stale slot shown by a contender
    is then the contender's, never a disagreement between the sandbox and the bench."""
    from datetime import UTC, datetime

    from sandbox.demo_data import build_world

    api = AltegioClient(sb.api_base)
    started = time.time()
    world = build_world(1, datetime.fromtimestamp(started, UTC))
    desk = FrontDesk(sb.url, [], seed=1)
    plan = plan_actions(60, 30, seed=7)[:12]
    assert sum(a.cancel for a in plan) >= 2 and {a.location for a in plan} == {101, NEW_YORK}
    lists = []
    for loc in (101, NEW_YORK):
        members = [0] + [m.id for m in world.staff.values() if m.location_id == loc]
        services = [
            s.id for s in world.services.values() if s.location_id == loc and s.active and not s.group_only
        ]
        lists += [
            (loc, m, s, n)
            for n in range(1, 5)
            for m in members
            for s in services
            if not m or s in world.staff[m].service_ids
        ]
    shown = []

    def look() -> None:
        for loc, member, service, n in lists:
            t = time.time()
            slots = times(api, loc, member, local_day(sb, loc, n), [service])
            shown.append(
                {"t": t, "location": loc, "staff_id": member, "service_id": service,
                 "slots": [s.datetime.isoformat() for s in slots]}
            )  # fmt: skip

    for n, action in enumerate(plan):
        if action.cancel and desk.live:
            desk._cancel(action)
        else:
            desk._book(world, action)
        if n == 3:  # a visitor's own booking, for "any" team member, in between
            slot = times(api, NEW_YORK, 0, local_day(sb, NEW_YORK, 2), [20011])[0]
            assert book(api, NEW_YORK, [appointment(slot, 0, [20011])], phone="+12125550166").status == 201
        look()
    assert (desk.tally.booked, desk.tally.failed) >= (6, 0) and desk.tally.cancelled >= 2, desk.tally
    counted = count_stale(shown, sb.ledger(), 1, started)
    assert counted["external_changes"] == desk.tally.booked + desk.tally.cancelled
    assert counted["bookings_during_run"] == 1 and counted["slots_shown"] > 1000
    assert counted["stale_slots_shown"] == 0, counted["stale_examples"][:3]


def test_a_time_freed_while_the_list_was_answered_is_rightly_shown(sb):
    """Asked while the desk's booking held the time, answered after its cancel: the contender may have
    asked Altegio after the cancel, so showing the time is right (the bench once counted it stale: the
    'miss' answers fetched seconds after the change). Answered before the cancel, it is stale."""
    started, listing, desk, made = desk_booking_of_a_listed_time(sb)
    assert urllib3.request("DELETE", f"{desk}/{made['data']['id']}").status == 200
    ledger = sb.ledger()
    booked, cancelled = (c["ts"] for c in ledger["changes"])
    asked = booked + (cancelled - booked) / 2  # while the booking held the time

    def answered_after(seconds: float) -> dict:
        item = {"t": asked, "ms": seconds * 1000, "location": NEW_YORK, "staff_id": 2021}
        return {**item, "service_id": 20011, "slots": listing, "cache": "miss"}

    before_cancel = count_stale([answered_after(0)], ledger, 1, started)
    taken = before_cancel["stale_slots_shown"]
    assert taken >= 1 and before_cancel["freed_while_answered"] == 0
    after_cancel = count_stale([answered_after(cancelled - asked + 5)], ledger, 1, started)
    assert (after_cancel["stale_slots_shown"], after_cancel["freed_while_answered"]) == (0, taken)
    assert after_cancel["slots_shown"] == before_cancel["slots_shown"] == len(listing)
