"""The sandbox's clock: real time, or pinned and moving on, or frozen; set and moved through
/__admin/clock, `--now` and SandboxConfig(now=...)."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import urllib3
from sandbox_testkit import appointment, book, first_slot, local_day, send_code, spawn_sandbox

from sandbox import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parents[2]
DST_NIGHT = "2027-03-28T01:30:00+02:00"  # Riga, an hour and a half before its clocks go forward


def clock(sb, body=None):
    method = "GET" if body is None else "POST"
    r = urllib3.request(method, f"{sb.url}/__admin/clock", body=None if body is None else json.dumps(body))
    return r.status, r.json()


@pytest.fixture
def sbc(sb):
    yield sb
    sb.reset(config=True)  # the start-up clock (real time) for whoever comes next


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_real_time_unless_pinned(sbc):
    status, body = clock(sbc)
    assert status == 200 and body["pinned"] is False and body["frozen"] is False
    assert abs(instant(body["now"]) - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_pinned_clock_moves_on_and_a_frozen_one_stays():
    moving = Sandbox(SandboxConfig(now=DST_NIGHT)).state
    frozen = Sandbox(SandboxConfig(now=DST_NIGHT, frozen=True)).state
    start = datetime.fromisoformat(DST_NIGHT)
    assert frozen.now() == start and frozen.now() == start
    first = moving.now()
    assert start <= first < start + timedelta(seconds=5)
    assert moving.now() >= first  # real time passes from the pin on (no sleep: any tick will do)
    frozen.clock.advance(90)
    assert frozen.now() == start + timedelta(seconds=90)


def test_setting_the_clock_rebuilds_the_demo_around_it_and_keeps_the_ledger(api, sbc):
    api.call("get_booking_form_config", "/bookform/1")
    status, body = clock(sbc, {"now": DST_NIGHT, "frozen": True})
    assert status == 200 and body["rebuilt"] is True
    assert (body["pinned"], body["frozen"], instant(body["now"])) == (True, True, instant(DST_NIGHT))
    assert local_day(sbc, 101) == date(2027, 3, 28) and local_day(sbc, 202) == date(2027, 3, 27)
    # The world is the demo of that night: tomorrow bookable in both locations, as on any day.
    for location, member, service in ((101, 1011, 10011), (202, 2021, 20011)):
        slot = first_slot(api, location, member, [service], local_day(sbc, location, 1))
        assert slot.datetime.date() >= local_day(sbc, location, 1)
    assert clock(sbc)[1]["now"] == body["now"]  # frozen: no time passes between requests
    assert [r["path"] for r in sbc.requests()][0] == "/api/v1/bookform/1"  # the ledger is kept
    assert sbc.requests()[-1]["time"].startswith("2027-03-27T23:30")  # the world's time, in UTC


def test_pinning_without_rebuild_keeps_the_bookings(api, sbc):
    slot = first_slot(api, 202, 2021, [20011], local_day(sbc, 202, 1))
    assert book(api, 202, [appointment(slot, 2021, [20011])]).status == 201
    made = len(sbc.appointments())
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    status, body = clock(sbc, {"now": later, "rebuild": False})
    assert status == 200 and body["rebuilt"] is False and body["frozen"] is False
    assert len(sbc.appointments()) == made


def test_advancing_lets_time_pass_without_a_rebuild(api, sbc):
    clock(sbc, {"now": DST_NIGHT, "frozen": True})
    send_code(api, 101, "+37120000401")
    booked = len(sbc.appointments())
    assert sbc.sms_code("+37120000401") == "123456"
    status, body = clock(sbc, {"advance_s": 601})  # an SMS code lives 10 minutes
    assert status == 200 and body["rebuilt"] is False
    assert instant(body["now"]) == instant(DST_NIGHT) + timedelta(seconds=601)
    assert sbc.sms_code("+37120000401") is None
    assert len(sbc.appointments()) == booked


def test_freezing_and_thawing_where_the_clock_is(sbc):
    clock(sbc, {"now": DST_NIGHT})
    status, body = clock(sbc, {"frozen": True})
    assert status == 200 and body["frozen"] is True and body["rebuilt"] is False
    at = instant(body["now"])
    assert instant(DST_NIGHT) <= at < instant(DST_NIGHT) + timedelta(seconds=5)
    assert instant(clock(sbc)[1]["now"]) == at
    status, body = clock(sbc, {"frozen": False})
    assert body["frozen"] is False and instant(body["now"]) >= at


def test_advancing_moves_the_rate_limit_and_fault_windows(api, sbc):
    from sandbox import FaultRule

    sbc.configure(rate_limit=True, per_second=2)
    statuses = [api.send("GET", "/bookform/1").status for _ in range(3)]
    assert statuses == [200, 200, 429]
    clock(sbc, {"advance_s": 1})
    assert api.send("GET", "/bookform/1").status == 200
    sbc.configure(rate_limit=False, faults=[FaultRule("error", after_s=30, for_s=60)])
    assert api.send("GET", "/bookform/1").status == 200
    sbc.clock.advance(30)
    assert api.send("GET", "/bookform/1").status == 500
    sbc.clock.advance(60)
    assert api.send("GET", "/bookform/1").status == 200


@pytest.mark.parametrize(
    "body",
    [
        {"now": "2027-03-28T01:30:00"},  # no offset
        {"now": "tomorrow"},
        {"advance_s": -1},
        {"advance_s": "10"},
        {"now": DST_NIGHT, "advance_s": 1},
        {"frozen": "yes"},
        {"when": DST_NIGHT},
    ],
)
def test_bad_clock_settings_are_refused(sbc, body):
    before = clock(sbc)[1]
    status, answer = clock(sbc, body)
    assert status == 400 and answer["error"]
    assert clock(sbc)[1]["pinned"] == before["pinned"] is False


def test_a_config_reset_puts_the_start_up_clock_back():
    sb = Sandbox(SandboxConfig(now="2026-12-31T23:59:00-05:00", frozen=True))
    sb.set_clock("2027-02-28T12:00:00+00:00")
    sb.clock.advance(3600)
    sb.reset(config=True)
    assert sb.state.now() == datetime.fromisoformat("2026-12-31T23:59:00-05:00")
    assert local_day(sb, 202) == date(2026, 12, 31) and local_day(sb, 101) == date(2027, 1, 1)


def test_now_flag_pins_the_sandbox_process():
    proc = spawn_sandbox("--port", "0", "--quiet", "--now", DST_NIGHT)
    try:
        url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
        body = urllib3.request("GET", f"{url}/__admin/clock").json()
        assert body["pinned"] is True and body["frozen"] is False
        assert instant(DST_NIGHT) <= instant(body["now"]) < instant(DST_NIGHT) + timedelta(seconds=30)
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_bad_now_flag_is_refused():
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "0", "--now", "2027-03-28 01:30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
        timeout=30,
    )
    assert done.returncode == 2 and "offset" in done.stderr
