"""The Altegio client: headers, one pool, retries only where safe, 429, 401 rotation, broken answers."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from booking_gateway import altegio_client, budget
from booking_gateway import clock as layer_clock
from booking_gateway.altegio_client import (
    UpstreamAuthFailed,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)

OK = (200, {}, b'{"success": true, "data": [], "meta": []}')


class Scripted:
    """A stand-in Altegio that answers from a script and records what it was sent."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict, bytes] | float] = []  # a float: hang that many seconds
        self.seen: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.seen.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length) if length else b"",
                        "peer": self.client_address[1],
                        "ts": layer_clock.now(),  # the layer's clock: backoff and 429 waits take no real time
                    }
                )
                step = outer.script.pop(0) if outer.script else OK
                if isinstance(step, float):
                    time.sleep(step)  # a slow Altegio: the client's real read timeout must fire
                    step = OK
                status, headers, body = step
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def altegio(gateway, clock, monkeypatch):
    fake = Scripted()
    monkeypatch.setenv("ALTEGIO_BASE_URL", fake.url)
    # Generous: a loaded machine answers late; the timeout test sets its own short one.
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT", "5")
    monkeypatch.setenv("UPSTREAM_WRITE_TIMEOUT", "5")
    from booking_gateway import container

    container.reset()
    yield fake
    fake.stop()


def _get(**kw):
    return altegio_client.call("GET", "/book_staff/101", idempotent=True, priority="read", **kw)


def test_altegios_headers_and_the_query_as_given(altegio):
    up = altegio_client.call(
        "GET",
        "/book_staff/101",
        query=[("service_ids[]", "1"), ("service_ids[]", "2")],
        idempotent=True,
        priority="read",
    )
    assert up.status == 200 and up.json()["success"] is True
    (req,) = altegio.seen
    assert req["path"] == "/api/v1/book_staff/101?service_ids%5B%5D=1&service_ids%5B%5D=2"
    assert req["headers"]["Accept"] == "application/vnd.api.v2+json"
    assert req["headers"]["Authorization"] == "Bearer sandbox-partner-token"


def test_user_token_and_json_body(altegio):
    altegio_client.call(
        "POST", "/book_check/101", body={"a": "ā"}, user_token="u-token-1", idempotent=False, priority="write"
    )
    (req,) = altegio.seen
    assert req["headers"]["Authorization"] == "Bearer sandbox-partner-token, User u-token-1"
    assert req["headers"]["Content-Type"] == "application/json"
    assert json.loads(req["body"]) == {"a": "ā"}


def test_one_pool_reused_across_calls(altegio):
    for _ in range(4):
        _get()
    assert len({r["peer"] for r in altegio.seen}) == 1  # one kept-alive connection


@pytest.mark.parametrize("status", [502, 503, 504])
def test_idempotent_calls_retry_gateway_errors_with_jittered_backoff(altegio, status):
    altegio.script = [(status, {}, b"<html>bad gateway</html>")] * 2
    assert _get().status == 200
    assert len(altegio.seen) == 3
    gaps = [b["ts"] - a["ts"] for a, b in zip(altegio.seen, altegio.seen[1:], strict=False)]
    assert all(0 <= g < 1.0 for g in gaps)


def test_retries_stop_after_three_attempts(altegio):
    altegio.script = [(503, {}, b"busy")] * 5
    with pytest.raises(UpstreamUnavailable):
        _get()
    assert len(altegio.seen) == 3


def test_writes_are_never_retried(altegio):
    altegio.script = [(503, {}, b"busy")]
    with pytest.raises(UpstreamUnavailable):
        altegio_client.call("POST", "/book_record/101", body={}, idempotent=False, priority="write")
    assert len(altegio.seen) == 1


def test_other_errors_are_not_retried_and_altegios_own_answers_pass_through(altegio):
    altegio.script = [(500, {}, b"oops")]
    with pytest.raises(UpstreamUnavailable):
        _get()
    body = (
        b'{"success":false,"data":null,"meta":{"message":"An error has occurred.","errors":[{"code":433}]}}'
    )
    altegio.script = [(422, {}, body), (404, {}, b'{"success":false,"data":null,"meta":[]}')]
    up = _get()
    assert (up.status, up.body) == (422, body)
    assert _get().status == 404
    assert len(altegio.seen) == 3


def test_connection_errors_are_retried_for_reads_only(gateway, clock, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: connection refused
    monkeypatch.setenv("ALTEGIO_BASE_URL", f"http://127.0.0.1:{port}/api/v1")
    from booking_gateway import container

    container.reset()
    sent = []
    real_take = budget.take
    monkeypatch.setattr(budget, "take", lambda *a, **k: sent.append(1) or real_take(*a, **k))
    with pytest.raises(UpstreamUnavailable):
        _get()
    assert len(sent) == 3  # each attempt drew on the budget
    sent.clear()
    with pytest.raises(UpstreamUnavailable):
        altegio_client.call("DELETE", "/user/records/1/abc", idempotent=False, priority="write")
    assert len(sent) == 1


def test_a_read_timeout_is_never_retried(altegio):
    altegio.script = [3.0]
    with pytest.raises(UpstreamTimeout):
        _get(read_timeout=0.5)  # raised before the answer came: the hang is longer
    assert len(altegio.seen) == 1  # not asked again


def test_429_short_retry_after_is_waited_out_once_and_shared(altegio, clock):
    altegio.script = [(429, {"Retry-After": "1"}, b'{"success":false,"data":null,"meta":{}}')]
    started = clock.monotonic()
    assert _get().status == 200
    assert 0.9 <= clock.monotonic() - started < 2.5
    assert altegio.seen[1]["ts"] - altegio.seen[0]["ts"] >= 0.95


def test_429_long_retry_after_is_raised_and_pauses_every_container(altegio):
    altegio.script = [(429, {"Retry-After": "30"}, b"{}")]
    with pytest.raises(UpstreamRateLimited) as caught:
        _get()
    assert caught.value.retry_after == 30
    # The pause lives in the shared budget table: nobody may send until it has passed.
    with pytest.raises(budget.BudgetExhausted) as again:
        budget.acquire("write", wait_max=1)
    assert again.value.retry_after >= 25
    assert len(altegio.seen) == 1


def test_429_is_not_waited_when_the_caller_has_a_stale_copy(altegio):
    altegio.script = [(429, {"Retry-After": "1"}, b"{}")]
    with pytest.raises(UpstreamRateLimited):
        _get(budget_wait=0.5)
    assert len(altegio.seen) == 1


def test_401_reads_the_secret_again_once_then_fails_clearly(altegio, gateway):
    refused = (401, {}, b'{"success":false,"data":null,"meta":{"message":"Authentication needed."}}')
    _get()  # the token is now cached in the container
    gateway.set_secret("rotated-token-0002")
    altegio.script = [refused]
    assert _get().status == 200
    assert [r["headers"]["Authorization"] for r in altegio.seen[1:]] == [
        "Bearer sandbox-partner-token",
        "Bearer rotated-token-0002",
    ]
    altegio.script = [refused, refused]
    with pytest.raises(UpstreamAuthFailed):
        _get()
    assert len(altegio.seen) == 5


def test_a_second_401_with_a_user_token_is_altegios_answer(altegio):
    refused = (401, {}, b'{"success":false,"data":null,"meta":{"message":"Authentication needed."}}')
    altegio.script = [refused, refused]
    up = altegio_client.call(
        "GET", "/booking/user/data", user_token="bad-user", idempotent=True, priority="read"
    )
    assert up.status == 401


@pytest.mark.parametrize("body", [b"<html>502</html>", b'{"success": true, "da'])
def test_a_body_that_is_not_json_is_unavailable(altegio, body):
    altegio.script = [(200, {}, body)]
    with pytest.raises(UpstreamUnavailable):
        _get()


@pytest.mark.parametrize(("status", "meta"), [(201, {"message": "Created"}), (200, [])])
def test_a_success_without_a_body_becomes_altegios_envelope(altegio, status, meta):
    """YCLIENTS answered book_check with an empty 201: a success, not a broken answer."""
    altegio.script = [(status, {}, b"")]
    up = altegio_client.call("POST", "/book_check/101", body={}, idempotent=False, priority="write")
    assert (up.status, up.json()) == (status, {"success": True, "data": None, "meta": meta})


def test_tolerant_of_altegios_payload_quirks(altegio):
    quirky = (
        b'{"success":true,"data":[{"id":"16","position":[],"seance_date":"2026-09-21",'
        b'"datetime":"2026-10-24T17:30:00-0500"}],"meta":{}}'
    )
    altegio.script = [(200, {}, quirky), (200, {}, b'{"date":{"day_of":"Day off"}}')]
    assert _get().body == quirky  # passed through byte for byte
    assert _get().json() == {"date": {"day_of": "Day off"}}  # unwrapped (i18n) is fine too
