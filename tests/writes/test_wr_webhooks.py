"""Altegio's webhooks keep the cache truthful (issue 14), on the local stack: the sandbox's front desk
changes records straight at Altegio and the sandbox delivers each change to the gateway's webhook route,
which bumps and notes the days it changed as the gateway's own bookings do (webhooks.py)."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.parse
from datetime import datetime, timedelta

import pytest
import urllib3
from wr_kit import NEW_YORK, SERVICE, day, free_times_of

from devstack.stack import DEV_WEBHOOK_SECRET, WEBHOOK_ROUTE
from sandbox import FaultRule

MEMBER_SERVICE = SERVICE[NEW_YORK]
SECOND = 1.1  # the budget's per-second window, on the layer's clock (`clock` tests)
FRESH = 31.0  # a list of times is fresh for 30 s (operations.py): then it is asked again
WAIT_S = 15.0  # bound of every wait for a delivery
DESK_CLIENT = {"name": "Desk Walkin Client", "phone": "+19175550987", "email": "walkin.client@example.com"}
_HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=15))


# -- helpers ------------------------------------------------------------------------------------------
@pytest.fixture
def hooked(gw):
    """The sandbox's webhooks go to the gateway's webhook route (gw restores the knobs afterwards)."""
    gw.sandbox.configure(webhook_urls=[hook_url(gw)])
    return gw


def hook_url(gw, secret: str = DEV_WEBHOOK_SECRET) -> str:
    return gw.stack.api_base + WEBHOOK_ROUTE + secret


def desk(gw, method: str, path: str, body: dict | None = None) -> dict:
    """The sandbox's front desk (staff changing records straight at Altegio): the record it answers."""
    r = _HTTP.request(
        method,
        f"{gw.stack.sandbox_url}/__admin/front_desk/{NEW_YORK}{path}",
        body=None if body is None else json.dumps(body),
    )
    assert r.status in (200, 201), r.data
    return json.loads(r.data)["data"]


def desk_book(gw, member: int, when: str) -> dict:
    body = {"staff_id": member, "services": [MEMBER_SERVICE], "datetime": when, "client": DESK_CLIENT}
    return desk(gw, "POST", "", body)


def delivered(gw, record_id: int, status: str, answer: int = 200) -> dict:
    """The delivery log's entry once the change of `record_id` with `status` got `answer` (polled)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        for entry in gw.sandbox.hooks.deliveries():
            if (entry["record_id"], entry["status"], entry["answer"]) == (record_id, status, answer):
                return entry
        assert time.monotonic() < deadline, f"no {status} of {record_id} answered {answer}: " + str(
            [(e["record_id"], e["status"], e["answer"], e["error"]) for e in gw.sandbox.hooks.deliveries()]
        )
        time.sleep(0.01)


def all_delivered(gw) -> list[dict]:
    """The delivery log once nothing is queued or in flight."""
    deadline = time.monotonic() + WAIT_S
    while True:
        status = gw.sandbox.hooks.status()
        if not status["pending"] and not status["in_flight"]:
            return gw.sandbox.hooks.deliveries()
        assert time.monotonic() < deadline, f"deliveries still queued: {status}"
        time.sleep(0.01)


def times_list(gw, member: int, when: str):
    return gw.http("GET", f"/book_times/{NEW_YORK}/{member}/{when}?service_ids[]={MEMBER_SERVICE}")


def dates_list(gw, member: int):
    staff = f"&staff_id={member}" if member else ""
    return gw.http("GET", f"/book_dates/{NEW_YORK}?service_ids[]={MEMBER_SERVICE}{staff}")


def shown(reply) -> list[str]:
    return [s["datetime"] for s in reply.data]


def member_day(gw, at_least: int) -> tuple[int, str, int, list[str]]:
    """The first New York day from tomorrow with a team member who has at least `at_least` free times for
    the service (Altegio's): its offset from today, date, team member and free times. A holiday or a short
    day tomorrow moves the test to the next day instead of skipping it."""
    members = sorted(s.id for s in gw.sandbox.state.world.staff.values() if s.location_id == NEW_YORK)
    members = [m for m in members if MEMBER_SERVICE in gw.sandbox.state.world.staff[m].service_ids]
    for offset in range(1, 15):
        when = day(gw, NEW_YORK, offset).isoformat()
        for m in members:
            reply = gw.upstream("GET", f"/book_times/{NEW_YORK}/{m}/{when}?service_ids[]={MEMBER_SERVICE}")
            if reply.status == 200 and len(reply.data) >= at_least:
                return offset, when, m, [s["datetime"] for s in reply.data]
    raise AssertionError(f"no New York team member with {at_least} free times in two weeks")


def clashes(slot: dict, record: dict) -> bool:
    """Does `slot` overlap the record (its start and length as its webhook told)?"""
    start = datetime.fromisoformat(slot["datetime"]).timestamp()
    taken = datetime.fromisoformat(record["datetime"]).timestamp()
    return start < taken + record["length"] and taken < start + slot["sum_length"]


@contextlib.contextmanager
def budget_spent(monkeypatch):
    """No upstream call may go out: the budget says no to every one."""
    from booking_gateway import altegio_client
    from booking_gateway.budget import BudgetExhausted

    def spent(priority, wait):
        raise BudgetExhausted(5)

    with monkeypatch.context() as mp:
        mp.setattr(altegio_client, "_take_turn", spent)
        yield


def cache_items(gw, *prefixes: str) -> dict[str, dict]:
    """The cache table's generation, note, position and delivery items (the webhook's footprint), without
    when a webhook was last heard (`wh`: every delivery notes it, cache.heard)."""
    table = gw.stack.dynamodb.Table("CacheTable")
    items, scan = {}, {}
    while True:
        page = table.scan(**scan)
        kept = ({k: v for k, v in i.items() if k != "wh"} for i in page["Items"])
        items.update({i["pk"]: i for i in kept if i["pk"].startswith(prefixes) and len(i) > 1})
        if "LastEvaluatedKey" not in page:
            return items
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


FOOTPRINT = ("gen#", "held#", "pos#", "hook#")


def record_event(record_id: int, when: str, member: int, status: str = "create", **data) -> dict:
    return {
        "company_id": NEW_YORK,
        "resource": "record",
        "resource_id": record_id,
        "status": status,
        "data": {
            "id": record_id,
            "staff_id": member,
            "datetime": when,
            "length": 3600,
            "seance_length": 3600,
            "services": [{"id": MEMBER_SERVICE}],
            "client": DESK_CLIENT,
            "deleted": False,
            "last_change_date": "2026-12-01T09:00:00-0500",
            **data,
        },
    }


def post_hook(gw, path: str, body: bytes | str | None, headers: dict | None = None):
    raw = body.encode() if isinstance(body, str) else body
    return gw.http("POST", path, raw=raw, headers=headers, api_key=False)


# -- a booking, a cancel and a move at the front desk -------------------------------------------------------
def test_a_front_desk_booking_is_gone_from_the_lists_within_one_delivery(hooked, clock, monkeypatch):
    gw = hooked
    _, when, member, free = member_day(gw, 3)
    before = {m: times_list(gw, m, when).data for m in (member, 0)}
    dates_before = {m: dates_list(gw, m).data for m in (member, 0)}
    assert all(when in d["booking_dates"] for d in dates_before.values())
    staff_path = f"/book_staff/{NEW_YORK}?service_ids[]={MEMBER_SERVICE}"
    staff_before = gw.http("GET", staff_path).data
    record = desk_book(gw, member, free[1])
    delivered(gw, record["id"], "create")
    calls = len(gw.sandbox.requests())
    clock.advance(SECOND)  # budget to spare: still the patched lists are served, nothing is asked
    for m in (member, 0):
        reply = times_list(gw, m, when)
        assert (reply.status, reply.headers.get("x-cache")) == (200, "hit"), reply.body
        assert reply.data == [s for s in before[m] if not clashes(s, record)]
        assert free[1] not in shown(reply) and len(reply.data) < len(before[m])
        dates = dates_list(gw, m)  # times are left that day: the date stays, derived from those lists
        assert (dates.headers.get("x-cache"), dates.data) == ("hit", dates_before[m]), dates.body
    staff = gw.http("GET", staff_path)  # no team member's nearest day was filled: as listed
    assert (staff.headers.get("x-cache"), staff.data) == ("hit", staff_before), staff.body
    assert len(gw.sandbox.requests()) == calls  # the webhook cost no upstream call
    clock.advance(FRESH)  # aged: they stand in only while Altegio cannot be asked
    with budget_spent(monkeypatch):
        reply = times_list(gw, 0, when)
        assert (reply.status, reply.headers.get("x-cache")) == (200, "stale"), reply.body
        assert reply.data == [s for s in before[0] if not clashes(s, record)]
    assert len(gw.sandbox.requests()) == calls
    clock.advance(SECOND)
    reply = times_list(gw, member, when)  # with budget: asked again, and Altegio agrees
    assert reply.headers.get("x-cache") == "miss" and free[1] not in shown(reply)


def test_who_is_free_at_a_time_is_still_derived_after_a_front_desk_booking(hooked, clock):
    gw = hooked
    _, when, member, free = member_day(gw, 3)
    staff_path = f"/book_staff/{NEW_YORK}?service_ids[]={MEMBER_SERVICE}"
    for m in [m["id"] for m in gw.http("GET", staff_path).data]:  # the lists "any" is derived from
        times_list(gw, m, when)
    record = desk_book(gw, member, free[1])
    delivered(gw, record["id"], "create")
    clock.advance(SECOND)
    calls = len(gw.sandbox.requests())
    at = f"{staff_path}&datetime={urllib.parse.quote(free[1])}"
    derived = gw.http("GET", at)  # from the lists patched without the desk's booking: no upstream call
    assert derived.headers.get("x-cache-source") == "derived", derived.body
    assert len(gw.sandbox.requests()) == calls
    assert member not in [m["id"] for m in derived.data if m["bookable"]]
    assert derived.data == gw.upstream("GET", at).data  # and Altegio agrees


def test_any_team_members_times_are_still_derived_after_a_front_desk_booking(hooked, clock):
    gw = hooked
    _, when, member, free = member_day(gw, 3)
    staff = [m["id"] for m in gw.http("GET", f"/book_staff/{NEW_YORK}?service_ids[]={MEMBER_SERVICE}").data]
    lists = {m: shown(times_list(gw, m, when)) for m in staff}  # the lists "any" is derived from
    others = {t for m, ts in lists.items() if m != member for t in ts}
    only = [t for t in free if t not in others]  # a time nobody else is free: "any" loses it
    record = desk_book(gw, member, (only or free)[0])
    delivered(gw, record["id"], "create")
    clock.advance(SECOND)
    calls = len(gw.sandbox.requests())
    derived = times_list(gw, 0, when)  # from the lists patched without the desk's booking: no upstream call
    assert derived.headers.get("x-cache-source") == "derived", derived.body
    assert len(gw.sandbox.requests()) == calls
    assert (
        derived.data
        == gw.upstream("GET", f"/book_times/{NEW_YORK}/0/{when}?service_ids[]={MEMBER_SERVICE}").data
    )
    assert not only or only[0] not in shown(derived)


def test_the_nearest_times_are_still_derived_after_a_front_desk_booking(hooked, clock):
    gw = hooked
    clock.pin(gw.sandbox.state.now())  # the gateway's today is the sandbox's (pinned by the date matrix)
    first = day(gw, NEW_YORK, 0).replace(day=1)
    last = (first + timedelta(days=62)).replace(day=1) - timedelta(days=1)
    for member in sorted(m.id for m in gw.sandbox.state.world.staff.values() if m.location_id == NEW_YORK):
        span = f"service_ids[]={MEMBER_SERVICE}&staff_id={member}&date_from={first}&date_to={last}"
        listed = gw.http("GET", f"/book_dates/{NEW_YORK}?{span}").data  # as the page asks the days
        if MEMBER_SERVICE in gw.sandbox.state.world.staff[member].service_ids and listed["booking_dates"]:
            when = min(listed["booking_dates"])
            free = shown(times_list(gw, member, when))
            if len(free) >= 2:
                break
    else:
        raise AssertionError("no New York team member with two free times on their first bookable day")
    record = desk_book(gw, member, free[0])
    delivered(gw, record["id"], "create")
    clock.advance(SECOND)
    calls = len(gw.sandbox.requests())
    nearest = f"/book_staff_seances/{NEW_YORK}/{member}?service_ids[]={MEMBER_SERVICE}"
    derived = gw.http("GET", nearest)  # the days and that day's times, patched without the desk's booking
    assert derived.headers.get("x-cache-source") == "derived", derived.body
    assert len(gw.sandbox.requests()) == calls
    assert derived.data == gw.upstream("GET", nearest).data  # and Altegio agrees
    assert derived.data["seance_date"] == when and free[0] not in [
        s["datetime"] for s in derived.data["seances"]
    ]


def test_a_front_desk_booking_that_fills_the_day_takes_it_from_the_dates(hooked, clock):
    gw = hooked
    _, when, member, free = member_day(gw, 1)
    path = f"/book_times/{NEW_YORK}/{member}/{when}?service_ids[]={MEMBER_SERVICE}"
    for _ in range(40):  # the member's free times taken at the front desk until one booking fills the day
        left = gw.upstream("GET", path).data
        first = {"datetime": left[0]["datetime"], "length": left[0]["sum_length"]}
        others = [s for s in left[1:] if not clashes(s, first)]
        if not others:  # every time left overlaps the first: booking it leaves none
            break
        desk_book(gw, member, others[-1]["datetime"])  # a time that keeps the first one free
    left = [left[0]["datetime"]]
    all_delivered(gw)
    clock.advance(SECOND)
    assert when in dates_list(gw, member).data["booking_dates"]
    times_list(gw, member, when)
    last = desk_book(gw, member, left[0])
    delivered(gw, last["id"], "create")
    calls = len(gw.sandbox.requests())
    clock.advance(SECOND)
    dates = dates_list(gw, member)  # the member's list of times, patched, is empty: so is the day
    assert (dates.status, dates.headers.get("x-cache")) == (200, "hit"), dates.body
    assert when not in dates.data["booking_dates"], dates.body
    assert times_list(gw, member, when).data == []
    assert len(gw.sandbox.requests()) == calls  # neither list was asked again
    clock.advance(61.0)  # aged: asked again, and Altegio agrees
    assert when not in dates_list(gw, member).data["booking_dates"]


def test_a_front_desk_cancel_gives_the_time_back_at_the_next_refresh(hooked, clock):
    gw = hooked
    _, when, member, free = member_day(gw, 3)
    record = desk_book(gw, member, free[1])
    delivered(gw, record["id"], "create")
    after_booking = times_list(gw, member, when)
    assert after_booking.headers.get("x-cache") == "miss" and free[1] not in shown(after_booking)
    desk(gw, "DELETE", f"/{record['id']}")
    delivered(gw, record["id"], "delete")
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_times", methods=["GET"], status=503)])
    reply = times_list(gw, member, when)  # Altegio failing: the list stands in as it was, nothing taken
    assert (reply.status, reply.headers.get("x-cache"), reply.data) == (200, "stale", after_booking.data)
    gw.sandbox.configure(faults=[])
    clock.advance(SECOND)
    reply = times_list(gw, member, when)
    assert reply.headers.get("x-cache") == "miss" and free[1] in shown(reply)


@pytest.mark.parametrize("cancel_as", ["delete", "update"])
def test_a_cancel_sent_as_delete_or_as_a_deleted_update_frees_the_time(hooked, clock, cancel_as):
    gw = hooked
    gw.sandbox.configure(webhook_cancel_as=cancel_as)
    _, when, member, free = member_day(gw, 3)
    record = desk_book(gw, member, free[1])
    delivered(gw, record["id"], "create")
    assert free[1] not in shown(times_list(gw, member, when))
    desk(gw, "DELETE", f"/{record['id']}")
    delivered(gw, record["id"], cancel_as)
    clock.advance(SECOND)  # time was freed: with budget, asked again at once, though still fresh
    reply = times_list(gw, member, when)
    assert reply.headers.get("x-cache") == "miss" and free[1] in shown(reply)


def test_a_move_frees_the_old_time_and_takes_the_new(hooked, clock, monkeypatch):
    gw = hooked
    offset, first, member, free = member_day(gw, 3)
    later = free_times_of(gw, NEW_YORK, member, MEMBER_SERVICE, first=offset + 1)
    second = later[0][:10]
    record = desk_book(gw, member, free[1])
    delivered(gw, record["id"], "create")
    clock.advance(SECOND)
    lists = {d: times_list(gw, member, d) for d in (first, second)}
    assert [r.headers.get("x-cache") for r in lists.values()] == ["miss", "miss"]
    moved = desk(gw, "PUT", f"/{record['id']}", {"datetime": later[0]})
    delivered(gw, record["id"], "update")
    calls = len(gw.sandbox.requests())
    with budget_spent(monkeypatch):
        new_day = times_list(gw, member, second)  # the move freed time: it stands in until refreshed
        assert (new_day.status, new_day.headers.get("x-cache")) == (200, "stale"), new_day.body
        assert new_day.data == [s for s in lists[second].data if not clashes(s, moved)]
        assert later[0] not in shown(new_day)
        old_day = times_list(gw, member, first)  # the freed time comes with the next refresh
        assert (old_day.status, old_day.data) == (200, lists[first].data)
    assert len(gw.sandbox.requests()) == calls
    clock.advance(SECOND)
    old_day = times_list(gw, member, first)
    assert old_day.headers.get("x-cache") == "miss" and free[1] in shown(old_day)


def test_a_move_of_a_record_never_seen_refreshes_or_refuses_every_list(hooked, clock):
    """Where it was is not known (made while nobody listened): no list of the location from before is
    served as it was, even while Altegio fails; with Altegio answering, they are asked again."""
    gw = hooked
    offset, first, member, free = member_day(gw, 3)
    gw.sandbox.configure(webhook_urls=[])
    record = desk_book(gw, member, free[1])  # nobody hears of it
    gw.sandbox.configure(webhook_urls=[hook_url(gw)])
    later = free_times_of(gw, NEW_YORK, member, MEMBER_SERVICE, first=offset + 1)
    for when in (first, later[0][:10]):
        assert times_list(gw, member, when).status == 200
    desk(gw, "PUT", f"/{record['id']}", {"datetime": later[-1]})
    delivered(gw, record["id"], "update")
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_times", methods=["GET"], status=503)])
    for when in (first, later[0][:10]):
        reply = times_list(gw, member, when)
        assert reply.status in (502, 503) and reply.json["success"] is False, reply.body
        assert reply.message
    gw.sandbox.configure(faults=[])
    clock.advance(SECOND)
    reply = times_list(gw, member, later[0][:10])
    assert reply.headers.get("x-cache") == "miss" and later[-1] not in shown(reply)


# -- order, repeats, failures --------------------------------------------------------------------------------
@pytest.mark.parametrize("order", ["fifo", "lifo", "shuffle"])
def test_duplicates_and_reordering_leave_the_same_final_state(hooked, order):
    """Every change delivered twice, in any order: each record's kept position is where Altegio has it,
    and no list from before shows a time a record takes, whatever order the deliveries came in."""
    gw = hooked
    _, when, member, free = member_day(gw, 8)
    before = {m: times_list(gw, m, when).data for m in (member, 0)}
    gw.sandbox.configure(webhook_duplicate_every=1, webhook_order=order, webhook_paused=True)
    a = desk_book(gw, member, free[0])
    a = desk(gw, "PUT", f"/{a['id']}", {"datetime": free[-1]})
    b = desk_book(gw, member, free[len(free) // 2])
    desk(gw, "DELETE", f"/{b['id']}")
    gw.sandbox.configure(webhook_paused=False)
    log = all_delivered(gw)
    assert len(log) == 8 and {e["answer"] for e in log} == {200}, log
    kept = cache_items(gw, "pos#")
    where_a = kept[f"pos#{NEW_YORK}#{a['id']}"]
    assert float(where_a["t"]) == datetime.fromisoformat(a["datetime"]).timestamp() and not where_a["x"]
    assert kept[f"pos#{NEW_YORK}#{b['id']}"]["x"] == 1
    gw.sandbox.configure(faults=[FaultRule("error", path="/book_times", methods=["GET"], status=503)])
    for m in (member, 0):  # stood in without what the records take, or refused: never as they were
        reply = times_list(gw, m, when)
        if reply.status == 200:
            assert free[-1] not in shown(reply), reply.body
            assert set(shown(reply)) <= {s["datetime"] for s in before[m]}
        else:
            assert reply.status in (502, 503) and reply.message, reply.body


def test_a_repeated_delivery_is_acknowledged_and_changes_nothing(hooked):
    gw = hooked
    _, when, member, free = member_day(gw, 3)
    body = json.dumps(record_event(9_000_001, free[1], member))
    first = post_hook(gw, WEBHOOK_ROUTE + DEV_WEBHOOK_SECRET, body)
    assert (first.status, first.data) == (200, {"outcome": "applied"}), first.body
    footprint = cache_items(gw, "gen#", "held#", "pos#")
    again = post_hook(gw, WEBHOOK_ROUTE + DEV_WEBHOOK_SECRET, body)
    assert (again.status, again.data) == (200, {"outcome": "repeat"})
    older = record_event(9_000_001, free[2], member, "update", last_change_date="2026-12-01T08:59:59-0500")
    late = post_hook(gw, WEBHOOK_ROUTE + DEV_WEBHOOK_SECRET, json.dumps(older))
    assert (late.status, late.data) == (200, {"outcome": "older"})  # it cannot move it back
    assert cache_items(gw, "gen#", "held#", "pos#") == footprint


def test_the_gateways_own_booking_is_not_bumped_again_by_its_webhook(hooked):
    from wr_kit import booking

    gw = hooked
    _, when, member, free = member_day(gw, 3)
    times_list(gw, member, when)
    gw.sandbox.configure(webhook_paused=True)  # its webhook comes after its answer (it may come before)
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, free[1]))
    assert made.status == 201, made.body
    footprint = cache_items(gw, "gen#", "held#")
    gw.sandbox.configure(webhook_paused=False)
    entry = delivered(gw, made.data[0]["record_id"], "create")
    assert entry["outcome"] == "delivered"
    assert cache_items(gw, "gen#", "held#") == footprint


def test_a_delivery_the_gateway_cannot_take_is_answered_so_that_altegio_retries(hooked, monkeypatch):
    from booking_gateway import webhooks
    from botocore.exceptions import ClientError

    gw = hooked
    _, when, member, free = member_day(gw, 3)

    def down(*args, **kwargs):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "BatchGetItem")

    gw.sandbox.configure(webhook_backoff_s=30)
    with monkeypatch.context() as mp:
        mp.setattr(webhooks, "_seen_and_recalled", down)  # DynamoDB down for its first read
        record = desk_book(gw, member, free[1])
        failed = delivered(gw, record["id"], "create", answer=503)
    assert failed["outcome"] == "retry"
    gw.sandbox.clock.advance(31)  # the sandbox's backoff passes
    delivered(gw, record["id"], "create")
    assert f"pos#{NEW_YORK}#{record['id']}" in cache_items(gw, "pos#")


def test_webhooks_down_for_a_while_the_cache_still_ages_out(hooked, clock):
    from booking_gateway.operations import POLICIES

    gw = hooked
    gw.sandbox.configure(webhook_paused=True)
    _, when, member, free = member_day(gw, 3)
    assert free[1] in shown(times_list(gw, member, when))
    record = desk_book(gw, member, free[1])
    still = times_list(gw, member, when)  # nobody told the gateway: fresh, as it was
    assert still.headers.get("x-cache") == "hit" and free[1] in shown(still)
    clock.advance(POLICIES["book_times"].fresh + 1)
    aged = times_list(gw, member, when)
    assert aged.headers.get("x-cache") == "miss" and free[1] not in shown(aged)
    gw.sandbox.configure(webhook_paused=False)
    delivered(gw, record["id"], "create")


def test_where_webhooks_are_heard_an_aged_list_is_served_at_once_while_the_warmer_refreshes_it(hooked, clock):
    """Stale-while-revalidate for lists of times (read_path): only at a location whose webhooks report its
    changes, and while a warmer run is under way; elsewhere an unreported booking shows only on a refresh,
    so the aged list is asked again on the read."""
    from booking_gateway import warmer

    gw = hooked
    _, when, member, free = member_day(gw, 3)
    other = day(gw, NEW_YORK, 20).isoformat()  # a day the front desk's booking below does not touch
    times_list(gw, member, other)
    assert warmer._take_run(120)
    try:
        clock.advance(FRESH)
        assert times_list(gw, member, other).headers.get("x-cache") == "miss"  # no webhook heard yet
        record = desk_book(gw, member, free[1])
        delivered(gw, record["id"], "create")
        clock.advance(FRESH)
        calls = len(gw.sandbox.requests())
        aged = times_list(gw, member, other)
        assert aged.headers.get("x-cache") == "stale" and len(gw.sandbox.requests()) == calls
        booked = times_list(gw, member, when)  # the day the booking changed: never its aged list
        assert booked.headers.get("x-cache") in ("hit", "miss") and free[1] not in shown(booked)
        clock.advance(FRESH)  # past its freshness again: asked on the read
        assert times_list(gw, member, other).headers.get("x-cache") == "miss"
    finally:
        warmer._end_run()
    clock.advance(FRESH)
    assert times_list(gw, member, other).headers.get("x-cache") == "miss"  # no run under way


# -- who may deliver -------------------------------------------------------------------------------------
def test_forged_or_unauthenticated_deliveries_are_refused_and_change_nothing(hooked, settings_env):
    gw = hooked
    _, when, member, free = member_day(gw, 3)
    body = json.dumps(record_event(9_000_002, free[1], member))
    footprint = cache_items(gw, *FOOTPRINT)
    route = WEBHOOK_ROUTE.rstrip("/")
    wrong = "x" * len(DEV_WEBHOOK_SECRET)
    for path, headers, status in [
        (route + "/" + wrong, None, 403),
        (route + "/" + DEV_WEBHOOK_SECRET[:-1], None, 403),
        (route + "/" + DEV_WEBHOOK_SECRET + "0", None, 403),
        (route, None, 401),
        (route, {"X-Webhook-Secret": wrong}, 403),
    ]:
        reply = post_hook(gw, path, body, headers)
        assert reply.status == status, (path, reply.body)
        assert reply.json["success"] is False and reply.json["data"] is None and reply.message
    assert cache_items(gw, *FOOTPRINT) == footprint
    settings_env(WEBHOOK_SOURCE_CIDRS="203.0.113.0/24")  # Altegio's addresses only: not this one
    reply = post_hook(gw, route + "/" + DEV_WEBHOOK_SECRET, body)
    assert reply.status == 403 and reply.message
    assert cache_items(gw, *FOOTPRINT) == footprint
    settings_env(WEBHOOK_SOURCE_CIDRS="127.0.0.0/8")
    reply = post_hook(gw, route, body, {"X-Webhook-Secret": DEV_WEBHOOK_SECRET})
    assert (reply.status, reply.data) == (200, {"outcome": "applied"}), reply.body
    assert cache_items(gw, *FOOTPRINT) != footprint


@pytest.fixture
def settings_env(gw, monkeypatch):
    """Environment variables for the layer's settings, as a new container would read them."""
    from booking_gateway import container

    def setenv(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        container.reset()

    yield setenv
    monkeypatch.undo()
    container.reset()


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _hostile(event: dict) -> list[tuple[str, bytes]]:
    """A valid event broken one way at a time (the hostile corpus's style)."""

    def with_(**changes) -> bytes:
        return json.dumps({**event, **changes}).encode()

    def with_data(**changes) -> bytes:
        return json.dumps({**event, "data": {**event["data"], **changes}}).encode()

    return [
        ("empty", b""),
        ("not JSON", b"resource=record&status=create"),
        ("truncated", json.dumps(event).encode()[:-3]),
        ("a list", b"[1, 2]"),
        ("a string", b'"record"'),
        ("null", b"null"),
        ("an empty object", b"{}"),
        ("NaN id", with_(resource_id=1).replace(b'"resource_id": 1', b'"resource_id": NaN')),
        ("deeply nested", _nested(5000)),
        ("over the limit", with_data(comment="x" * 70_000)),
        ("invalid UTF-8", b'{"resource": "rec\xff\xfeord"}'),
        ("lone surrogate", with_(resource="record\ud800")),
        ("control characters", with_(resource="rec\u0000ord")),
        ("unknown status", with_(status="moved")),
        ("negative company", with_(company_id=-1)),
        ("huge company", with_(company_id=2**70)),
        ("text id", with_(resource_id="abc")),
        ("data not an object", with_(data=[1, 2])),
        ("no data", with_(data=None)),
        ("naive datetime", with_data(datetime="2026-12-02T10:00:00")),
        ("impossible datetime", with_data(datetime="2026-02-30T10:00:00-05:00")),
        ("no datetime", with_data(datetime=None)),
        ("no team member", with_data(staff_id=None)),
        ("negative length", with_data(length=-60)),
        ("services not a list", with_data(services="20011")),
        ("service without id", with_data(services=[{"title": "x"}])),
        ("another record's data", with_data(id=event["resource_id"] + 1)),
    ]


def test_malformed_deliveries_get_a_clear_4xx_and_change_nothing(hooked):
    gw = hooked
    _, when, member, free = member_day(gw, 3)
    footprint = cache_items(gw, *FOOTPRINT)
    mark = gw.powertools.mark()
    for what, body in _hostile(record_event(9_000_003, free[1], member)):
        reply = post_hook(gw, WEBHOOK_ROUTE + DEV_WEBHOOK_SECRET, body)
        assert 400 <= reply.status < 500, (what, reply.status, reply.body)
        assert reply.json["success"] is False and reply.json["data"] is None and reply.message, what
    assert cache_items(gw, *FOOTPRINT) == footprint
    lines = "\n".join(line for _, line in gw.powertools.since(mark))
    assert DESK_CLIENT["phone"] not in lines and DESK_CLIENT["name"] not in lines


def test_other_resources_and_locations_are_acknowledged_and_ignored(hooked):
    gw = hooked
    footprint = cache_items(gw, *FOOTPRINT)
    for event in (
        {"company_id": NEW_YORK, "resource": "client", "resource_id": 5, "status": "update", "data": {}},
        {"company_id": NEW_YORK, "resource": "service", "resource_id": 5, "status": "delete", "data": None},
        record_event(9_000_004, "2026-12-02T10:00:00-05:00", 2021) | {"company_id": 999},
        record_event(9_000_005, "2026-12-02T10:00:00-05:00", 2021, activity_id=77),
    ):
        reply = post_hook(gw, WEBHOOK_ROUTE + DEV_WEBHOOK_SECRET, json.dumps(event))
        assert (reply.status, reply.data) == (200, {"outcome": "ignored"}), reply.body
    assert cache_items(gw, *FOOTPRINT) == footprint


def test_no_client_data_of_a_delivery_reaches_the_logs(hooked):
    gw = hooked
    _, when, member, free = member_day(gw, 3)
    mark = gw.powertools.mark()
    record = desk_book(gw, member, free[1])
    delivered(gw, record["id"], "create")
    lines = "\n".join(line for _, line in gw.powertools.since(mark))
    assert '"outcome":"applied"' in lines.replace(" ", "")
    for value in DESK_CLIENT.values():
        assert value not in lines
