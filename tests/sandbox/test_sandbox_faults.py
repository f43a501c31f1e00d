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
    sb.configure(faults=[FaultRule("error", after_s=20, for_s=30)])
    assert bookform(api).status == 200
    sb.clock.advance(25)  # fault windows run on the sandbox's clock: moved, not waited for
    assert bookform(api).status == 500
    sb.clock.advance(30)
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


def test_a_reset_waits_for_the_calls_still_being_answered(api, sb):
    """A call a test left hanging lands before the next test's reset, not in its ledger."""
    sb.configure(faults=[FaultRule("hang", path="/bookform", hang_s=2.0)])
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        bookform(api, timeout=urllib3.Timeout(total=0.2))
    sb.reset(config=True)
    assert sb.app.answering == 0 and sb.requests() == []


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


def configure_over_http(sb, faults: list[dict]) -> None:
    """As a test of another process would: POST /__admin/config."""
    r = urllib3.request("POST", f"{sb.url}/__admin/config", body=json.dumps({"faults": faults}))
    assert r.status == 200, r.data


def booking_body(slot, phone: str) -> dict:
    return {"phone": phone, "fullname": "Edge Case", "appointments": [appointment(slot, 2021, [20011])]}


def booked(sb, slot) -> bool:
    when = slot.datetime.isoformat()
    return any(a["datetime"] == when and a["staff_id"] == 2021 for a in sb.appointments())


@pytest.mark.parametrize(
    ("kind", "title", "mitigated"),
    [
        ("challenge", b"<title>Just a moment...</title>", "challenge"),
        ("blocked", b"<title>Attention Required! | Cloudflare</title>", None),
    ],
)
def test_cloudflare_page_in_front_of_a_booking_commits_nothing(api, sb, kind, title, mitigated):
    slot = first_slot(api, 202, 2021, [20011], local_day(sb, 202, 1))
    configure_over_http(sb, [{"kind": kind, "path": "/book_record", "methods": ["POST"], "times": 1}])
    assert bookform(api).status == 200  # another path: untouched
    answer = api.send("POST", "/book_record/202", body=booking_body(slot, "+12125550181"))
    assert answer.status == 403 and answer.headers["Content-Type"].startswith("text/html")
    assert title in answer.raw and b"cloudflare" in answer.raw.lower()
    # werkzeug sends its own Server header first; Altegio's edge sends only "cloudflare"
    assert answer.headers["Server"].endswith("cloudflare") and answer.headers["CF-RAY"]
    assert answer.headers.get("cf-mitigated") == mitigated
    assert not booked(sb, slot)  # stopped at the edge
    assert sb.requests()[-1]["fault"] == kind
    # `times: 1`: the next request reaches Altegio and books.
    assert api.send("POST", "/book_record/202", body=booking_body(slot, "+12125550181")).status == 201
    assert booked(sb, slot)


def test_cloudflare_page_by_every_and_status(api, sb):
    configure_over_http(sb, [{"kind": "challenge", "every": 2, "status": 503}])
    answers = [bookform(api) for _ in range(4)]
    assert [a.status for a in answers] == [200, 503, 200, 503]
    assert b"<title>Just a moment...</title>" in answers[3].raw


def test_legacy_error_shape_commits_nothing(api, sb):
    slot = first_slot(api, 202, 2021, [20011], local_day(sb, 202, 1))
    message = "The selected time is already taken"
    configure_over_http(sb, [{"kind": "legacy", "path": "/book_record", "code": 433, "message": message}])
    answer = api.send("POST", "/book_record/202", body=booking_body(slot, "+12125550182"))
    assert answer.status == 422 and answer.headers["Content-Type"].startswith("application/json")
    assert answer.json == {"errors": {"code": 433, "message": message}}  # no success / data / meta
    assert not booked(sb, slot)
    assert sb.requests()[-1]["fault"] == "legacy:422"


def test_legacy_error_defaults_and_schedule(api, sb):
    configure_over_http(sb, [{"kind": "legacy", "status": 404, "path": "/bookform", "times": 2}])
    answers = [bookform(api) for _ in range(3)]
    assert [a.status for a in answers] == [404, 404, 200]
    assert answers[0].json == {"errors": {"code": 404, "message": "Not found"}}
    sb.configure(faults=[FaultRule("legacy", rate=1.0)])
    assert bookform(api).json == {"errors": {"code": 422, "message": "An error has occurred."}}
    assert FaultRule("legacy").status == 422 and FaultRule("challenge").status == 403
    assert FaultRule("error").status == 500
