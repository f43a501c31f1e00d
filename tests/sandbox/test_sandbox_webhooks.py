"""Webhooks: every record change on any path (the online-booking API, a group event, the front desk) reaches
the configured URLs with Altegio's payload, from a background worker, with its knobs (delay, failure and
retry, duplicates, order, pause, cancel as delete or update); hooks_settings as Altegio has it."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import urllib3
from hook_receiver import WAIT_S, Receiver
from sandbox_testkit import appointment, book, first_slot, local_day, spawn_sandbox, times, user_token

from sandbox.__main__ import parse_args

NEW_YORK, RIGA = 202, 101
PHONE = "+12125550141"
ADMIN_TOKEN = "sandbox-admin-user-token"


@pytest.fixture
def rx():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def hooked(sb, rx):
    sb.configure(webhook_urls=[rx.url])
    return rx


def admin(sb, method: str, path: str, body=None):
    r = urllib3.request(
        method, f"{sb.url}/__admin/{path}", body=None if body is None else json.dumps(body), timeout=10
    )
    return r.status, r.json()


def desk(sb, method: str, path: str, body=None):
    """The front desk (admin): status and Altegio's envelope."""
    return admin(sb, method, f"front_desk/{path}", body)


def wait_log(sb, done, timeout: float = WAIT_S) -> list[dict]:
    """The delivery log once `done(entries)` holds: polled, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        entries = sb.hooks.deliveries()
        if done(entries):
            return entries
        assert time.monotonic() < deadline, f"delivery log after {timeout} s: {entries}"
        time.sleep(0.01)


def delivered(n: int):
    return lambda entries: sum(e["outcome"] == "delivered" for e in entries) >= n


def ny_slot(api, sb, staff_id=2021, days=1):
    return first_slot(api, NEW_YORK, staff_id, [20011], local_day(sb, NEW_YORK, days))


def desk_booking(api, sb, staff_id=2021, services=(20011,), **extra):
    slot = ny_slot(api, sb, staff_id)
    body = {"staff_id": staff_id, "services": list(services), "datetime": slot.datetime.isoformat(), **extra}
    status, answer = desk(sb, "POST", str(NEW_YORK), body)
    assert status == 201, answer
    return slot, answer["data"]


def instant(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    assert when.utcoffset() is not None, text
    return when


def test_online_booking_move_and_cancel_arrive_as_altegio_sends_them(api, sb, hooked):
    slot = ny_slot(api, sb)
    item = book(api, NEW_YORK, [appointment(slot, 2021, [20011])], phone=PHONE).data.root[0]
    created = hooked.wait_for(1)[0]
    assert {k: created[k] for k in ("company_id", "resource", "resource_id", "status")} == {
        "company_id": NEW_YORK,
        "resource": "record",
        "resource_id": item.record_id,
        "status": "create",
    }
    data = created["data"]
    assert (data["id"], data["company_id"], data["staff_id"]) == (item.record_id, NEW_YORK, 2021)
    assert [s["id"] for s in data["services"]] == [20011] and data["services"][0]["title"]
    assert instant(data["datetime"]) == slot.datetime
    assert data["seance_length"] == data["length"] == 3600
    assert (data["deleted"], data["online"], data["attendance"], data["activity_id"]) == (False, True, 0, 0)
    assert (data["client"]["name"], data["client"]["phone"]) == ("Test Visitor", PHONE)
    assert instant(data["create_date"]) and instant(data["last_change_date"])

    later = times(api, NEW_YORK, 2021, slot.datetime.date(), [20011])[-1]
    path = f"/book_record/{NEW_YORK}/{item.record_id}"
    token = user_token(api, phone=PHONE)
    body = {"datetime": later.datetime.isoformat()}
    assert api.call("update_online_booking_datetime", path, body=body, user=token).status == 200
    moved = hooked.wait_for(2)[1]
    assert (moved["status"], moved["resource_id"]) == ("update", item.record_id)
    assert instant(moved["data"]["datetime"]) == later.datetime and moved["data"]["deleted"] is False

    gone = api.call("delete_user_appointment", f"/user/records/{item.record_id}/{item.record_hash}")
    assert gone.status == 200
    cancelled = hooked.wait_for(3)[2]
    assert (cancelled["status"], cancelled["data"]["deleted"]) == ("delete", True)

    log = wait_log(sb, delivered(3))
    assert [(e["status"], e["answer"], e["attempt"]) for e in log] == [
        ("create", 200, 1),
        ("update", 200, 1),
        ("delete", 200, 1),
    ]
    assert all(e["url"].endswith("/***") and "receiver-secret" not in e["url"] for e in log)
    assert PHONE not in json.dumps(log) and log[0]["event"]["data"]["id"] == item.record_id
    assert admin(sb, "GET", "webhooks/log?since=2")[1]["deliveries"] == log[2:]


def test_a_cancel_can_be_sent_as_an_update_with_deleted(api, sb, hooked):
    sb.configure(webhook_cancel_as="update")
    slot = ny_slot(api, sb)
    item = book(api, NEW_YORK, [appointment(slot, 2021, [20011])], phone=PHONE).data.root[0]
    api.call("delete_user_appointment", f"/user/records/{item.record_id}/{item.record_hash}")
    created, cancelled = hooked.wait_for(2)
    assert created["status"] == "create"
    assert (cancelled["status"], cancelled["data"]["deleted"]) == ("update", True)


def test_a_group_event_booking_is_a_create_with_its_activity(api, sb, hooked):
    body = {"fullname": "Group Guest", "phone": "+12125550160", "email": "g@x.test", "clients_count": 2}
    answer = api.call("book_event", "/activity/202/7201/book", body=body)
    assert answer.status == 200
    event = hooked.wait_for(1)[0]
    assert (event["status"], event["resource_id"]) == ("create", answer.data.id)
    assert (event["data"]["activity_id"], event["data"]["clients_count"]) == (7201, 2)


def test_front_desk_creates_moves_reservices_and_deletes_and_each_change_is_a_webhook(api, sb, hooked):
    slot, record = desk_booking(api, sb, client={"name": "Desk Guest", "phone": PHONE})
    rid, day = record["id"], slot.datetime.date()
    assert (record["online"], record["staff_id"], record["client"]["name"]) == (False, 2021, "Desk Guest")
    assert slot.time not in {s.time for s in times(api, NEW_YORK, 2021, day, [20011])}

    later = times(api, NEW_YORK, 2021, day, [20011])[-1]  # another time, same team member
    status, moved = desk(sb, "PUT", f"{NEW_YORK}/{rid}", {"datetime": later.datetime.isoformat()})
    assert status == 200 and instant(moved["data"]["datetime"]) == later.datetime
    left = {s.time for s in times(api, NEW_YORK, 2021, day, [20011])}
    assert slot.time in left and later.time not in left

    # Another team member at the same time: one with nothing then (the desk may book outside hours).
    start = later.datetime.timestamp()
    other = next(m for m in (2022, 2023, 2024) if sb.state.overlap(m, start, start + 3600, None) is None)
    status, moved = desk(sb, "PUT", f"{NEW_YORK}/{rid}", {"staff_id": other})
    assert status == 200 and moved["data"]["staff_id"] == other
    assert later.time in {s.time for s in times(api, NEW_YORK, 2021, day, [20011])}

    status, reserviced = desk(sb, "PUT", f"{NEW_YORK}/{rid}", {"services": [20022]})  # Express facial, 30 min
    assert status == 200 and [s["id"] for s in reserviced["data"]["services"]] == [20022]
    assert reserviced["data"]["length"] == reserviced["data"]["seance_length"] == 1800

    status, deleted = desk(sb, "DELETE", f"{NEW_YORK}/{rid}")
    assert status == 200 and deleted["data"]["deleted"] is True
    assert desk(sb, "GET", f"{NEW_YORK}/{rid}")[1]["data"]["deleted"] is True

    events = hooked.wait_for(5)
    assert [(e["status"], e["resource_id"]) for e in events] == [
        ("create", rid),
        ("update", rid),
        ("update", rid),
        ("update", rid),
        ("delete", rid),
    ]
    assert [e["data"]["staff_id"] for e in events] == [2021, 2021, other, other, other]
    assert instant(events[0]["data"]["datetime"]) == slot.datetime
    assert instant(events[1]["data"]["datetime"]) == later.datetime
    assert [e["data"]["length"] for e in events] == [3600, 3600, 3600, 1800, 1800]
    assert [e["data"]["online"] for e in events] == [False] * 5
    changes = admin(sb, "GET", "ledger?appointments=0")[1]["changes"]
    assert [(c["status"], c["source"]) for c in changes][-5:] == [
        ("create", "front_desk"),
        *[("update", "front_desk")] * 3,
        ("delete", "front_desk"),
    ]
    assert changes[-5]["before"] is None and changes[-4]["before"] == changes[-5]["after"]
    assert changes[-1]["after"]["deleted"] is True


def test_front_desk_bypasses_online_rules_but_never_double_books(api, sb, hooked):
    day = local_day(sb, NEW_YORK, 1)
    # 06:10 is before opening and off the 30-minute grid; 20099 is removed from online booking (438).
    early = f"{day.isoformat()}T06:10:00"
    status, walk_in = desk(
        sb, "POST", str(NEW_YORK), {"staff_id": 2021, "services": [20099], "datetime": early}
    )
    assert status == 201 and walk_in["data"]["datetime"].startswith(f"{day.isoformat()}T06:10:00")

    status, clash = desk(
        sb, "POST", str(NEW_YORK), {"staff_id": 2021, "services": [20011], "datetime": early}
    )
    assert status == 409 and (clash["success"], clash["data"]) == (False, None)
    assert (
        f"record {walk_in['data']['id']}" in clash["meta"]["message"] and "busy" in clash["meta"]["message"]
    )
    assert clash["meta"]["errors"][0]["code"] == 433

    demo = next(
        a
        for a in sb.appointments()
        if a["demo"] and not a["deleted"] and not a["activity_id"] and a["location_id"] == NEW_YORK
    )
    body = {"staff_id": demo["staff_id"], "services": [20011], "datetime": demo["datetime"]}
    status, clash = desk(sb, "POST", str(NEW_YORK), body)
    assert status == 409 and f"record {demo['record_id']}" in clash["meta"]["message"]

    event = sb.state.world.activities[7201]
    body = {"staff_id": event.staff_id, "services": [20011], "datetime": event.start.isoformat()}
    status, clash = desk(sb, "POST", str(NEW_YORK), body)
    assert status == 409 and "group event" in clash["meta"]["message"]

    # A move onto another record is refused too, and changes nothing.
    slot, record = desk_booking(api, sb)
    status, clash = desk(sb, "PUT", f"{NEW_YORK}/{record['id']}", {"datetime": early})
    assert status == 409
    assert desk(sb, "GET", f"{NEW_YORK}/{record['id']}")[1]["data"]["datetime"] == record["datetime"]
    # Only the two records made were announced.
    assert [(e["status"], e["data"]["id"]) for e in hooked.wait_for(2)] == [
        ("create", walk_in["data"]["id"]),
        ("create", record["id"]),
    ]
    assert sb.hooks.status()["changes"] == 2


@pytest.mark.parametrize(
    "method,path,body,status,says",
    [
        ("POST", "999", {"staff_id": 2021, "services": [20011], "datetime": "2030-01-01T10:00"}, 404, "999"),
        ("POST", "202", {"services": [20011], "datetime": "2030-01-01T10:00"}, 422, "staff_id"),
        (
            "POST",
            "202",
            {"staff_id": 1011, "services": [20011], "datetime": "2030-01-01T10:00"},
            422,
            "staff_id",
        ),
        (
            "POST",
            "202",
            {"staff_id": 2021, "services": [10011], "datetime": "2030-01-01T10:00"},
            422,
            "10011",
        ),
        ("POST", "202", {"staff_id": 2021, "services": [], "datetime": "2030-01-01T10:00"}, 422, "services"),
        ("POST", "202", {"staff_id": 2021, "services": [20011], "datetime": "soon"}, 422, "datetime"),
        (
            "POST",
            "202",
            {"staff_id": 2021, "services": [20011], "datetime": "2030-01-01T10:00", "seance_length": 0},
            422,
            "seance_length",
        ),
        (
            "POST",
            "202",
            {"staff_id": 2021, "services": [20011], "datetime": "2030-01-01T10:00", "client": {"phone": "x"}},
            422,
            "phone",
        ),
        ("POST", "202", {"staff_id": 2021, "services": [20011], "datetime": "x", "color": 1}, 422, "color"),
        ("POST", "202", "[1]", 400, "JSON object"),
        ("GET", "202", None, 405, "POST"),
        ("PUT", "202/1", {"datetime": "2030-01-01T10:00"}, 404, "Record 1"),
        ("GET", "202/abc", None, 404, "front_desk"),
    ],
)
def test_front_desk_answers_bad_input_with_a_clear_4xx(sb, method, path, body, status, says):
    raw = body if isinstance(body, str) else None if body is None else json.dumps(body)
    r = urllib3.request(method, f"{sb.url}/__admin/front_desk/{path}", body=raw, timeout=10)
    answer = r.json()
    assert r.status == status and answer["success"] is False and answer["data"] is None
    assert says in answer["meta"]["message"]


def test_front_desk_refuses_changes_to_a_deleted_record_and_empty_changes(api, sb):
    _, record = desk_booking(api, sb)
    path = f"{NEW_YORK}/{record['id']}"
    status, answer = desk(sb, "PUT", path, {})
    assert status == 422 and "Nothing to change" in answer["meta"]["message"]
    assert desk(sb, "DELETE", path)[0] == 200
    for method, body in (("DELETE", None), ("PUT", {"comment": "x"})):
        status, answer = desk(sb, method, path, body)
        assert status == 409 and "deleted" in answer["meta"]["message"]


def test_delivery_happens_after_the_request_that_made_the_change(api, sb, hooked):
    hooked.hold()  # the receiver keeps the request: a delivery inside the booking would hang the booking
    slot = ny_slot(api, sb)
    answer = book(api, NEW_YORK, [appointment(slot, 2021, [20011])], phone=PHONE)
    assert answer.status == 201
    assert hooked.wait_for(1)[0]["status"] == "create"  # it came, and is still unanswered
    assert sb.hooks.status()["in_flight"] is True and sb.hooks.deliveries() == []
    status, _ = desk(sb, "DELETE", f"{NEW_YORK}/{answer.data.root[0].record_id}")
    assert status == 200 and sb.hooks.status()["pending"] == 1  # queued behind the one in flight
    hooked.release()
    assert [e["status"] for e in wait_log(sb, delivered(2))] == ["create", "delete"]


def test_more_workers_send_changes_side_by_side_past_a_slow_receiver(api, sb, hooked):
    assert admin(sb, "POST", "webhooks", {"workers": 0})[0] == 400  # at least one
    assert admin(sb, "POST", "webhooks", {"workers": 3})[1]["knobs"]["workers"] == 3
    hooked.hold()  # each delivery stays unanswered: with one worker the other two would queue behind it
    _, record = desk_booking(api, sb)
    desk(sb, "PUT", f"{NEW_YORK}/{record['id']}", {"comment": "moved by phone"})
    desk(sb, "DELETE", f"{NEW_YORK}/{record['id']}")
    assert sorted(b["status"] for b in hooked.wait_for(3)) == ["create", "delete", "update"]
    status = sb.hooks.status()
    assert (status["pending"], status["in_flight_count"]) == (0, 3)
    hooked.release()
    assert len(wait_log(sb, delivered(3))) == 3


def test_a_failed_delivery_is_retried_with_backoff_on_the_sandbox_clock_then_given_up(api, sb, hooked):
    sb.configure(webhook_backoff_s=60, webhook_max_attempts=3)
    hooked.answer(500)
    desk_booking(api, sb)
    first = wait_log(sb, lambda e: len(e) >= 1)[0]
    assert (first["attempt"], first["answer"], first["outcome"], first["retry_in_s"]) == (1, 500, "retry", 60)
    waiting = sb.hooks.status()
    assert waiting["pending"] == 1 and 30 < waiting["next_due_in_s"] <= 60  # no retry before the clock moves
    sb.clock.advance(60)
    second = wait_log(sb, delivered(1))[-1]
    assert (second["attempt"], second["answer"], second["delivery"]) == (2, 200, first["delivery"])
    assert hooked.wait_for(2)[0] == hooked.wait_for(2)[1]  # the same event again

    hooked.answer(503, 503, 503)
    desk_booking(api, sb, staff_id=2023)
    wait_log(sb, lambda e: len(e) >= 3)
    sb.clock.advance(60)
    third = wait_log(sb, lambda e: len(e) >= 4)[-1]
    assert (third["attempt"], third["outcome"], third["retry_in_s"]) == (2, "retry", 120)  # doubled
    sb.clock.advance(120)
    last = wait_log(sb, lambda e: len(e) >= 5)[-1]
    assert (last["attempt"], last["answer"], last["outcome"]) == (3, 503, "gave_up")
    assert sb.hooks.status()["pending"] == 0 and sb.hooks.status()["gave_up"] == 1
    assert len(hooked.bodies()) == 5


def test_a_receiver_that_does_not_answer_is_a_failure_too(api, sb, hooked):
    sb.configure(webhook_timeout_s=0.2, webhook_backoff_s=30)
    hooked.hold()
    desk_booking(api, sb)
    first = wait_log(sb, lambda e: len(e) >= 1)[0]
    assert (first["answer"], first["error"], first["outcome"]) == (None, "timeout", "retry")
    sb.configure(webhook_timeout_s=10)  # the retry must not time out on a loaded machine
    hooked.release()
    sb.clock.advance(30)
    assert wait_log(sb, delivered(1))[-1]["attempt"] == 2


def test_an_unreachable_or_refusing_receiver_is_given_up_and_nothing_else_breaks(api, sb, rx):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/api/v1/webhooks/altegio/secret"
    sb.configure(webhook_urls=[closed, rx.url], webhook_max_attempts=2, webhook_backoff_s=0)
    rx.answer(404, 403)  # a receiver without the route yet (make dev before the webhook function)
    desk_booking(api, sb)
    log = wait_log(sb, lambda e: sum(x["outcome"] == "gave_up" for x in e) == 2)
    assert {x["error"] for x in log if x["url"].startswith(closed.rsplit("/", 1)[0])} == {
        "connection refused"
    }
    assert sorted(x["answer"] for x in log if x["answer"]) == [403, 404]
    assert api.call("get_booking_form_config", "/bookform/2").status == 200
    assert admin(sb, "GET", "health")[1]["status"] == "ok"


def test_a_delay_waits_for_the_sandbox_clock(api, sb, hooked):
    sb.configure(webhook_delay_s=120)
    desk_booking(api, sb)
    waiting = sb.hooks.status()
    assert waiting["pending"] == 1 and 100 < waiting["next_due_in_s"] <= 120
    sb.clock.advance(60)
    assert 40 < sb.hooks.status()["next_due_in_s"] <= 60 and hooked.bodies() == []
    sb.clock.advance(60)
    assert hooked.wait_for(1)[0]["status"] == "create"


def test_every_nth_change_is_delivered_twice(api, sb, hooked):
    sb.configure(webhook_duplicate_every=2)
    _, record = desk_booking(api, sb)
    desk(sb, "PUT", f"{NEW_YORK}/{record['id']}", {"comment": "moved by phone"})
    desk(sb, "DELETE", f"{NEW_YORK}/{record['id']}")
    bodies = hooked.wait_for(4)
    assert [b["status"] for b in bodies] == ["create", "update", "update", "delete"]
    assert bodies[1] == bodies[2]
    log = wait_log(sb, delivered(4))
    assert [e["duplicate"] for e in log] == [False, False, True, False]


def test_paused_deliveries_wait_and_lifo_sends_them_newest_first(api, sb, hooked):
    sb.configure(webhook_paused=True, webhook_order="lifo")
    _, record = desk_booking(api, sb)
    desk(sb, "PUT", f"{NEW_YORK}/{record['id']}", {"services": [20022]})
    desk(sb, "DELETE", f"{NEW_YORK}/{record['id']}")
    assert sb.hooks.status()["pending"] == 3 and hooked.bodies() == []
    admin(sb, "POST", "webhooks", {"paused": False})
    assert [b["status"] for b in hooked.wait_for(3)] == ["delete", "update", "create"]


def test_shuffle_delivers_every_change_once_in_a_seeded_order(sb, hooked):
    sb.configure(webhook_paused=True, webhook_order="shuffle")
    day = local_day(sb, NEW_YORK, 1).isoformat()
    made = []
    for start in ("05:00", "05:30", "06:00", "06:30"):  # before opening: nothing else is there
        body = {"staff_id": 2021, "services": [20022], "datetime": f"{day}T{start}"}
        status, answer = desk(sb, "POST", str(NEW_YORK), body)
        assert status == 201
        made.append(answer["data"]["id"])
    sb.configure(webhook_paused=False)
    got = [b["resource_id"] for b in hooked.wait_for(4)]
    assert sorted(got) == made


def test_hooks_settings_as_altegio_has_them(api, sb, rx):
    path = f"/hooks_settings/{NEW_YORK}"
    admin_headers = api.headers(ADMIN_TOKEN)
    current = api.send("GET", path, headers=admin_headers)
    assert current.status == 200 and current.json["success"] is True
    assert {k: current.json["data"][k] for k in ("urls", "active", "record")} == {
        "urls": [],
        "active": 0,
        "record": 0,
    }
    body = {"urls": [rx.url], "active": 1, "record": 1}
    saved = api.send("POST", path, body=body, headers=admin_headers)
    assert (
        saved.status == 201 and saved.json["data"]["urls"] == [rx.url] and saved.json["data"]["record"] == 1
    )
    assert api.send("GET", path, headers=admin_headers).json["data"] == saved.json["data"]

    # Per location: Riga's change is not sent (its settings are off), New York's is.
    status, _ = desk(
        sb, "POST", str(RIGA), {"staff_id": 1011, "services": [10011], "datetime": "2031-01-06T06:00"}
    )
    assert status == 201 and sb.hooks.status()["pending"] == 0
    _, record = desk_booking(api, sb)
    assert [b["resource_id"] for b in rx.wait_for(1)] == [record["id"]]
    off = api.send("POST", path, body={"urls": [rx.url], "active": 0}, headers=admin_headers)
    assert off.status == 201 and off.json["data"]["active"] == 0
    desk(sb, "DELETE", f"{NEW_YORK}/{record['id']}")
    assert sb.hooks.status()["pending"] == 0 and sb.hooks.status()["changes"] == 3

    assert api.send("GET", path).status == 401  # partner token only
    visitor = user_token(api, phone=PHONE)
    denied = api.send("POST", path, body=body, headers=api.headers(visitor))
    assert (denied.status, denied.json["meta"]["message"]) == (403, "Access denied.")
    assert api.send("GET", "/hooks_settings/999", headers=admin_headers).status == 404
    for bad, says in (
        ({"active": 1}, "urls"),
        ({"urls": "http://x", "active": 1}, "urls"),
        ({"urls": ["ftp://x/y"], "active": 1}, "http"),
        ({"urls": [], "active": 2}, "active"),
        ({"urls": [], "active": 1, "record": True}, "record"),
        ({"urls": [], "active": 1, "colour": 1}, "colour"),
    ):
        answer = api.send("POST", path, body=bad, headers=admin_headers)
        assert answer.status == 422 and says in answer.json["meta"]["message"], (bad, answer.json)


def test_the_urls_knob_sets_every_location_and_admin_shows_them_masked(api, sb, rx):
    status, answer = admin(sb, "POST", "webhooks", {"urls": [rx.url], "backoff_s": 2, "order": "lifo"})
    assert status == 200 and answer["knobs"]["backoff_s"] == 2 and answer["knobs"]["order"] == "lifo"
    for location in ("101", "202"):
        shown = answer["settings"][location]
        assert shown["active"] == shown["record"] == 1 and shown["urls"] == [
            rx.url.rsplit("/", 1)[0] + "/***"
        ]
    assert "receiver-secret" not in json.dumps(admin(sb, "GET", "config")[1])
    headers = api.headers(ADMIN_TOKEN)
    assert api.send("GET", "/hooks_settings/101", headers=headers).json["data"]["urls"] == [rx.url]
    for bad in ({"urls": ["nope"]}, {"order": "random"}, {"max_attempts": 0}, {"delay_s": -1}, {"colour": 1}):
        status, answer = admin(sb, "POST", "webhooks", bad)
        assert status == 400 and answer["error"], bad


def test_a_reset_forgets_queued_deliveries(api, sb, hooked):
    sb.configure(webhook_paused=True)
    desk_booking(api, sb)
    assert sb.hooks.status()["pending"] == 1
    sb.reset(config=True)
    status = sb.hooks.status()
    assert (status["pending"], status["changes"], sb.hooks.deliveries()) == (0, 0, [])


def test_urls_from_the_command_line_or_the_environment(monkeypatch):
    urls = ["http://127.0.0.1:3000/api/v1/webhooks/altegio/s1", "https://hooks.example/a"]
    assert parse_args(["--webhook-url", urls[0], "--webhook-url", urls[1]]).webhook_urls == urls
    monkeypatch.setenv("SANDBOX_WEBHOOK_URLS", ",".join(urls))
    assert parse_args([]).webhook_urls == urls
    monkeypatch.setenv("SANDBOX_WEBHOOK_URLS", "not-a-url")
    with pytest.raises(SystemExit):
        parse_args([])
    with pytest.raises(SystemExit):
        parse_args(["--webhook-url", "ftp://x"])


def test_the_sandbox_process_sends_to_its_command_line_url(rx):
    proc = spawn_sandbox("--port", "0", "--no-rate-limit", "--webhook-url", rx.url)
    try:
        url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
        body = {"staff_id": 2021, "services": [20011], "datetime": "2031-01-06T06:00"}
        r = urllib3.request("POST", f"{url}/__admin/front_desk/202", body=json.dumps(body), timeout=10)
        assert r.status == 201
        event = rx.wait_for(1)[0]
        assert (event["status"], event["resource_id"], event["data"]["online"]) == (
            "create",
            r.json()["data"]["id"],
            False,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_concurrent_cancels_of_one_record_delete_it_once_and_announce_it_once(api, sb, hooked):
    slot = ny_slot(api, sb)
    item = book(api, NEW_YORK, [appointment(slot, 2021, [20011])], phone=PHONE).data.root[0]
    path = f"/user/records/{item.record_id}/{item.record_hash}"
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: api.send("DELETE", path).status, range(8)))
    assert sorted(statuses) == [200] + [404] * 7
    assert [b["status"] for b in hooked.wait_for(2)] == ["create", "delete"]
    assert sb.hooks.status()["changes"] == 2
