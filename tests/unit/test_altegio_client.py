"""How the Altegio client reads answers that are not Altegio's current envelope (no stack): Cloudflare's
own pages in front of Altegio, and errors of Altegio's older shape {"errors": {"code", "message"}}."""

from __future__ import annotations

import json

import pytest
from booking_gateway.altegio_client import (
    UpstreamResponse,
    _current_shape,
    _edge_page,
    _headers,
    _retry_after,
)

from sandbox.faults import Fault, edge_page

ENVELOPE = b'{"success":false,"data":null,"meta":{"message":"Access denied."}}'
CF = {"server": "cloudflare", "cf-ray": "8e1f0c2a9b7d6e5f-RIX", "content-type": "text/html; charset=UTF-8"}


def sandbox_page(kind: str, status: int = 403) -> UpstreamResponse:
    page = edge_page(Fault(kind, status))
    return UpstreamResponse(
        page.status_code, page.get_data(), {k.lower(): v for k, v in page.headers.items()}
    )


@pytest.mark.parametrize(
    ("up", "page"),
    [
        (sandbox_page("challenge"), "challenge"),
        (sandbox_page("challenge", 503), "challenge"),  # the older interstitial answered 503
        (sandbox_page("blocked"), "block"),  # no cf-mitigated: known by the page
        (UpstreamResponse(403, b"<html>Forbidden</html>", {**CF, "cf-mitigated": "challenge"}), "challenge"),
        (UpstreamResponse(403, ENVELOPE, CF), None),  # Altegio's own 403 passes Cloudflare too
        (UpstreamResponse(403, b"<html><h1>403 Forbidden</h1></html>", {"server": "nginx"}), None),
        (UpstreamResponse(429, sandbox_page("challenge").body, CF), None),  # 429 is the rate limit's
        (UpstreamResponse(502, b"<title>Just a moment...</title>", CF), None),
    ],
)
def test_cloudflare_pages_are_told_from_altegios_answers(up, page):
    assert _edge_page(up) == page


def shaped(status: int, payload) -> UpstreamResponse:
    return _current_shape(UpstreamResponse(status, json.dumps(payload).encode(), {}), payload)


def test_older_error_shape_in_the_current_envelope():
    up = shaped(422, {"errors": {"code": 433, "message": "Taken"}})
    assert (up.status, up.older_shape) == (422, True)
    assert up.json() == {
        "success": False,
        "data": None,
        "meta": {"message": "Taken", "errors": [{"code": 433, "message": "Taken"}]},
    }


@pytest.mark.parametrize(
    ("status", "errors", "want_status", "want_codes"),
    [
        (404, {"message": "Location not found"}, 404, [404]),  # no code: the status
        (403, {"code": 434, "message": "Blacklisted"}, 403, [434]),
        (405, {"code": 405, "message": "Method"}, 502, [405]),  # the gateway's own request: not the caller's
        (200, {"code": 434, "message": "Blacklisted"}, 403, [434]),  # an error on a 2xx is never a success
        (200, [{"code": "436", "message": "No one"}, {"message": "And"}], 422, [436, 422]),
        (200, {"code": 999, "message": "What"}, 502, [999]),
    ],
)
def test_older_error_statuses(status, errors, want_status, want_codes):
    up = shaped(status, {"errors": errors})
    body = up.json()
    assert up.status == want_status and up.older_shape and body["success"] is False
    assert [e["code"] for e in body["meta"]["errors"]] == want_codes
    if want_status == 502:
        assert body["meta"]["message"].startswith(f"Altegio refused the gateway's request ({status})")


@pytest.mark.parametrize(
    "payload",
    [
        {"success": False, "data": None, "meta": {"message": "x", "errors": [{"code": 433, "message": "x"}]}},
        {"errors": {"code": 433, "message": "x"}, "success": False},
        {"confirm": {"errors": {"code": "incorrect"}}},  # i18n strings, unwrapped
        {"errors": "text"},
    ],
)
def test_other_bodies_pass_unchanged(payload):
    up = shaped(422, payload)
    assert not up.older_shape and up.json() == payload


def test_the_partner_token_goes_first_and_the_users_after_it():
    assert _headers("p", "u", with_body=False) == {
        "Accept": "application/vnd.api.v2+json",
        "Authorization": "Bearer p, User u",
    }
    assert _headers("p", None, with_body=True)["Authorization"] == "Bearer p"
    assert _headers("p", None, with_body=True)["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("value", "seconds"), [("3", 3.0), ("0.5", 0.5), ("-2", 0.0), ("soon", 1.0), (None, 1.0)]
)
def test_retry_after_in_seconds_else_one(value, seconds):
    assert _retry_after({"retry-after": value} if value is not None else {}) == seconds


def test_a_call_the_invocation_has_no_time_for_is_not_sent(clock, monkeypatch):
    """With less than MIN_CALL_TIME left in the invocation nothing goes out (a booking sent then could not
    be answered before the function's timeout); with more, the call's own limit shrinks to what is left."""
    from booking_gateway import altegio_client, budget, deadline
    from booking_gateway.errors import OutOfTime

    sent, turns = [], []
    monkeypatch.setattr(altegio_client, "get_partner_token", lambda force=False: "token")
    monkeypatch.setattr(budget, "take", lambda prio, wait: turns.append(wait) or budget.Turn(prio, 0.0))

    def send(method, url, body, headers, read_timeout):
        sent.append(read_timeout)
        return UpstreamResponse(201, ENVELOPE.replace(b"false", b"true"), {})

    monkeypatch.setattr(altegio_client, "_send", send)

    class Context:
        ends = clock.monotonic() + 15.0

        def get_remaining_time_in_millis(self):
            return int((self.ends - clock.monotonic()) * 1000)

    with deadline.invocation(Context()):
        clock.advance(15.0 - deadline.MARGIN - 3.0)  # 3 s left: the write's 8 s read is cut to them
        altegio_client.call("POST", "/book_record/1", body={}, idempotent=False, priority="write")
        clock.advance(2.5)
        with pytest.raises(OutOfTime):
            altegio_client.call("POST", "/book_record/1", body={}, idempotent=False, priority="write")
    assert sent == [pytest.approx(3.0)]
    assert len(turns) == 1


def test_the_connection_writes_only_on_its_turn(monkeypatch):
    """budget.sending() right before the request is written, budget.sent() with the time right after."""
    from booking_gateway import altegio_client, budget

    steps = []
    monkeypatch.setattr(budget, "sending", lambda turn: steps.append(("sending", turn)))
    monkeypatch.setattr(budget, "sent", lambda turn, at: steps.append(("sent", turn)))

    class Wire:
        def request(self, *args, **kwargs):
            steps.append(("written", None))

    class Probe(altegio_client._OnTurn, Wire):
        pass

    Probe().request("GET", "/")  # outside a call: no turn to check
    turn = budget.Turn("read", 0.0)
    token = altegio_client._turn.set(turn)
    try:
        Probe().request("GET", "/")
    finally:
        altegio_client._turn.reset(token)
    assert steps == [("written", None), ("sending", turn), ("written", None), ("sent", turn)]
    assert (
        altegio_client._pool().pool_classes_by_scheme["https"].ConnectionCls.__mro__[1]
        is altegio_client._OnTurn
    )
