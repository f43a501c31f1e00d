"""Fault knobs: 5xx, hangs, malformed JSON, 401 for revoked tokens, latency; by rate and by schedule."""

import json
import time

import pytest
import urllib3
from sandbox_testkit import appointment, first_slot, local_day

from sandbox import FaultRule


def bookform(api, **kwargs):
    return api.send("GET", "/bookform/1", **kwargs)


def test_error_rate_answers_5xx_like_altegio_edge(api, sb):
    sb.configure(error_rate=1.0, error_status=503)
    answer = bookform(api)
    assert answer.status == 503 and answer.headers["Content-Type"].startswith("text/html")
    assert b"503 Service Temporarily Unavailable" in answer.raw
    sb.configure(error_status=500)
    answer = bookform(api)
    assert answer.status == 500 and answer.json["success"] is False
    assert sb.requests()[-1]["fault"] == "error:500"


def test_fault_schedules_every_times_path_and_window(api, sb):
    sb.configure(faults=[FaultRule("error", every=2, status=502)])
    assert [bookform(api).status for _ in range(4)] == [200, 502, 200, 502]
    sb.configure(faults=[FaultRule("error", times=2)])
    assert [bookform(api).status for _ in range(4)] == [500, 500, 200, 200]
    sb.configure(faults=[FaultRule("error", times=2)])  # setting a knob again re-arms its rules
    assert [bookform(api).status for _ in range(3)] == [500, 500, 200]
    sb.configure(faults=[FaultRule("error", path="/book_dates", methods=["GET"])])
    assert bookform(api).status == 200
    assert api.send("GET", "/book_dates/101").status == 500
    sb.configure(faults=[FaultRule("error", after_s=0.2, for_s=0.3)])
    assert bookform(api).status == 200
    time.sleep(0.25)
    assert bookform(api).status == 500
    time.sleep(0.3)
    assert bookform(api).status == 200


def test_fault_rate_is_seeded_and_partial(api, sb):
    sb.configure(faults=[FaultRule("error", rate=0.5)])
    statuses = [bookform(api).status for _ in range(40)]
    assert 5 < statuses.count(500) < 35


def test_hang_past_the_client_timeout_still_commits(api, sb):
    slot = first_slot(api, 202, 2021, [20011], local_day(sb, 202, 1))
    sb.configure(faults=[FaultRule("hang", path="/book_record", hang_s=1.0)])
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        book_answer = api.send(
            "POST",
            "/book_record/202",
            timeout=urllib3.Timeout(total=0.3),
            body={
                "phone": "+12125550170",
                "fullname": "Slow",
                "appointments": [appointment(slot, 2021, [20011])],
            },
        )
        pytest.fail(f"no timeout: {book_answer.status}")
    # The booking went through although its answer never arrived: a client must read back, not retry.
    assert any(
        a["datetime"] == slot.datetime.isoformat() and a["staff_id"] == 2021 for a in sb.appointments()
    )


def test_hang_before_handling_commits_nothing(api, sb):
    slot = first_slot(api, 202, 2021, [20011], local_day(sb, 202, 1))
    sb.configure(faults=[FaultRule("hang", hang_s=0.2, before=True)])
    started = time.monotonic()
    answer = api.send(
        "POST",
        "/book_record/202",
        body={
            "phone": "+12125550171",
            "fullname": "Slow",
            "appointments": [appointment(slot, 2021, [20011])],
        },
    )
    assert answer.status == 504 and time.monotonic() - started >= 0.2
    assert not any(
        a["datetime"] == slot.datetime.isoformat() and a["staff_id"] == 2021 for a in sb.appointments()
    )


def test_hang_rate_shorthand(api, sb):
    sb.configure(hang_rate=1.0, hang_seconds=0.8)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        bookform(api, timeout=urllib3.Timeout(total=0.2))


def test_malformed_json(api, sb):
    sb.configure(malformed_rate=1.0)
    answer = bookform(api)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.raw)


def test_empty_success_body(api, sb):
    sb.configure(faults=[FaultRule("empty", times=1)])
    answer = bookform(api)
    assert (answer.status, answer.raw) == (200, b"")
    assert json.loads(bookform(api).raw)["success"] is True  # once only


def test_revoked_tokens_get_401(api, sb):
    token = api.call(
        "authorize_online_booking_user", "/booking/auth", body={"login": "demo", "password": "sandbox-pass"}
    ).data.user_token
    sb.configure(revoked_tokens=[token])
    assert api.call("get_booking_user", "/booking/user/data", user=token).status == 401
    assert bookform(api).status == 200
    sb.configure(revoked_tokens=["sandbox-partner-token"])
    answer = api.call("get_booking_form_config", "/bookform/1")
    assert answer.status == 401 and answer.error.meta.message == "Authentication needed."


def test_unauthorized_fault_rule(api, sb):
    sb.configure(faults=[FaultRule("unauthorized", times=1)])
    assert [bookform(api).status for _ in range(2)] == [401, 200]


def test_latency_and_jitter(api, sb):
    sb.configure(latency_ms=150, jitter_ms=50)
    started = time.monotonic()
    assert bookform(api).status == 200
    elapsed = time.monotonic() - started
    assert 0.15 <= elapsed < 1.0
    assert sb.requests()[-1]["ms"] >= 150
