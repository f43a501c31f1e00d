"""The real template on the in-process LocalStack (the `local_stack` fixture): resources, environment,
every route and every event file, and one read end to end through the page."""

from __future__ import annotations

import http.client
import json
import os
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from devstack_testkit import call

from devstack.httpd import MAX_BODY
from devstack.template import ROOT, Template

TEMPLATE = Template(ROOT / "template.yaml", local={"PageApiKeyValue": "x" * 20})
EVENTS = ROOT / "events"
# Demo ids of the sandbox (sandbox/__init__.py) for every path parameter of the template.
DEMO = {
    "id": "1",
    "lang_code": "en-US",
    "location_id": "101",
    "team_member_id": "1011",
    "date": (date.today() + timedelta(days=1)).isoformat(),
    "record_id": "1",
    "record_hash": "0123abcd",
    "event_id": "7101",
    "record_token": "review-101",
    "secret": "not-the-webhook-secret",
}

FORBIDDEN = {"success": False, "data": None, "meta": {"message": "Forbidden: send a valid x-api-key header."}}
NOT_FOUND = {
    "success": False,
    "data": None,
    "meta": {"message": "Not found: no such path or method (see /api/v1/openapi.json)."},
}


def concrete(path: str) -> str:
    for name, value in DEMO.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no demo value for a parameter of {path}"
    return path


def test_says_where_it_is(local_stack):
    # How fast it starts is a figure, not a pass/fail on a busy machine: `make dev` prints it.
    assert local_stack.started_in > 0
    assert local_stack.api_base.endswith("/api/v1") and local_stack.page_url.endswith("/")
    assert local_stack.sandbox_url == local_stack.sandbox.url
    assert local_stack.api_key == "local-dev-api-key-000000"


def test_tables_and_secret_created_from_the_template(local_stack):
    ddb = boto3.client("dynamodb", endpoint_url=local_stack.moto_url)
    for table in TEMPLATE.tables.values():
        desc = ddb.describe_table(TableName=table.name)["Table"]
        assert desc["KeySchema"] == table.properties["KeySchema"]
        assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        ttl = ddb.describe_time_to_live(TableName=table.name)["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", table.ttl_attribute)
    sm = boto3.client("secretsmanager", endpoint_url=local_stack.moto_url)
    value = sm.get_secret_value(SecretId="local/altegio-partner-token")["SecretString"]
    assert json.loads(value) == {"token": "sandbox-partner-token"}


def test_handlers_get_the_template_environment_and_moto(local_stack):
    assert os.environ["CACHE_TABLE"] == "CacheTable" and os.environ["IDEMPOTENCY_TABLE"] == "IdempotencyTable"
    assert os.environ["PARTNER_SECRET_ID"] == "local/altegio-partner-token"
    assert os.environ["ALTEGIO_BASE_URL"] == local_stack.sandbox.api_base
    assert os.environ["ALLOWED_LOCATION_IDS"] == "101,202" and os.environ["POWERTOOLS_SERVICE_NAME"]
    assert os.environ["AWS_ENDPOINT_URL"] == local_stack.moto_url
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing" and os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"


def test_endpoint_env_is_only_there_for_stack_tests():
    assert "AWS_ENDPOINT_URL" not in os.environ  # so mock_aws tests are not sent to the stack's moto


def test_page_and_gateway_answers_of_the_gateway_itself(local_stack):
    page = call(local_stack.page_url, "GET", "/", [("Accept-Encoding", "gzip")])
    assert page.status == 200 and page.header("Content-Type") == "text/html; charset=utf-8"
    assert page.header("Content-Security-Policy").startswith("default-src 'self'")
    assert (
        call(local_stack.page_url, "GET", "/app.js", [("Accept-Encoding", "gzip")]).header("Content-Encoding")
        == "gzip"
    )
    r = call(local_stack.api_base, "GET", "/api/v1/book_staff/101")
    assert (r.status, r.json()) == (403, FORBIDDEN)  # template.yaml's GatewayResponses
    r = call(local_stack.api_base, "GET", "/api/v1/no_such_operation", [("x-api-key", local_stack.api_key)])
    assert (r.status, r.json()) == (404, NOT_FOUND)
    assert r.header("Access-Control-Allow-Origin") and r.header("Cache-Control") == "no-store"
    keyed = [("x-api-key", local_stack.api_key)]
    r = call(local_stack.api_base, "GET", "/api/v1/book_staff/101", [*keyed, ("X-Big", "x" * 11_000)])
    assert r.status == 431 and r.json()["success"] is False and r.json()["meta"]["message"]
    host = urlsplit(local_stack.api_base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    try:  # a body over the payload limit is refused unread
        conn.putrequest("POST", "/api/v1/book_check/101")
        conn.putheader("Content-Length", str(MAX_BODY + 1))
        conn.endheaders()
        big = conn.getresponse()
        assert big.status == 413 and json.loads(big.read())["meta"]["message"] == "Request too large."
    finally:
        conn.close()


@pytest.fixture
def routed(local_stack):
    """The session stack with a fresh upstream budget: an earlier test (LONG=1's one-minute load and
    fuzzing runs) may have spent this minute's, and these tests are about routing, not the budget."""
    local_stack.reset_budget()
    return local_stack


@pytest.mark.parametrize("route", TEMPLATE.routes, ids=lambda r: f"{r.method} {r.path}")
def test_every_template_route_reaches_its_handler(routed, route):
    local_stack = routed
    headers = [
        ("x-api-key", local_stack.api_key),
        ("Accept", "application/vnd.api.v2+json"),
        ("Content-Type", "application/json"),
    ]
    body = b"{}" if route.method in ("POST", "PUT", "PATCH") else None
    r = call(local_stack.api_base, route.method, concrete(route.path), headers, body)
    error = r.header("x-amzn-ErrorType")
    assert error is None, f"the gateway answered {r.status} {r.body[:200]!r} ({error}): see the log for why"
    assert r.status < 500, r.body[:300]
    r.json()  # the handler's answer is JSON


@pytest.mark.parametrize("fn", TEMPLATE.functions.values(), ids=lambda f: f.folder)
def test_every_event_file_invokes_its_function(routed, fn, monkeypatch):
    """The in-process `sam local invoke <fn> -e events/<folder>.json`."""
    local_stack = routed
    path = EVENTS / f"{fn.folder}.json"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing (one event per function)"
    event = json.loads(path.read_text())
    if fn.schedules:  # EventBridge's scheduled event (the warmer: a short run here, 50 s in Lambda)
        from booking_gateway import warmer

        monkeypatch.setattr(warmer, "RUN_SECONDS", 1.0)
        assert event["detail-type"] == "Scheduled Event" and not fn.routes
        result = local_stack.invoke(fn.logical_id, event)
        assert "passes" in result or "skipped" in result, result
        return
    assert event.get("resource") in {r.path for r in fn.routes}, "the event is for another route"
    result = local_stack.invoke(fn.logical_id, event)
    assert result["statusCode"] < 500, result.get("body", "")[:300]
    json.loads(result["body"])


def test_no_event_file_without_its_function():
    folders = {fn.folder for fn in TEMPLATE.functions.values()}
    assert {p.stem for p in Path(EVENTS).glob("*.json")} <= folders


def test_book_staff_through_page_gateway_handler_layer_and_sandbox(local_stack):
    local_stack.reset()
    since = local_stack.sandbox.requests()[-1]["seq"] if local_stack.sandbox.requests() else 0
    r = call(
        local_stack.page_url, "GET", "/api/v1/book_staff/101", [("Accept", "application/vnd.api.v2+json")]
    )  # no key: the page server adds it
    assert r.status == 200, r.body[:300]
    assert r.json()["success"] is True and r.json()["data"]
    upstream = [e for e in local_stack.sandbox.requests(since) if "/book_staff/101" in e["path"]]
    assert upstream, "the sandbox never saw the call"
    items = local_stack.dynamodb.Table("CacheTable").scan()["Items"]
    assert items, "the cache table in moto holds no entry"


def test_a_test_can_build_its_own_stack_inside_the_session_one(local_stack):
    from devstack_testkit import KEY, PROJECT

    from devstack.stack import LocalStack
    from sandbox import SandboxConfig

    outer_upstream = os.environ["ALTEGIO_BASE_URL"]
    with LocalStack(
        template_path=PROJECT / "template.yaml",
        api_key=KEY,
        sandbox_config=SandboxConfig(rate_limit=True, per_second=1),
    ) as own:
        assert LocalStack.running() is own and own.sandbox.config.rate_limit
        r = call(own.api_base, "GET", "/api/v1/echo/1", [("x-api-key", KEY)])
        env = r.json()["env"]
        assert env["UPSTREAM"] == own.sandbox.api_base and env["AWS_ENDPOINT_URL"] == own.moto_url
    assert LocalStack.running() is local_stack
    assert os.environ["ALTEGIO_BASE_URL"] == outer_upstream == local_stack.sandbox.api_base
    assert os.environ["AWS_ENDPOINT_URL"] == local_stack.moto_url and "UPSTREAM" not in os.environ


def test_dynamodb_conditional_writes_take_turns_as_in_dynamodb():
    """moto checks a condition, then writes: two requests interleaved there both pass. Through the stack's
    moto (OneWriteAtATime) the second sees the first's write, as DynamoDB guarantees; other services are
    not held up."""
    import threading

    from devstack.moto_server import OneWriteAtATime

    store, winners, first_checked, second_checked = {}, [], threading.Event(), threading.Event()

    def moto_put(environ, start_response):  # moto's order: condition first, the write after
        if "k" not in store:
            if environ["who"] == "first":
                first_checked.set()
                second_checked.wait(2)  # the second request's check, if it can run now
            else:
                second_checked.set()
            store["k"] = environ["who"]
            winners.append(environ["who"])
        return [b"{}"]

    app = OneWriteAtATime(moto_put)
    target = {"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}
    first = threading.Thread(target=app, args=({**target, "who": "first"}, None))
    first.start()
    assert first_checked.wait(10)
    app({**target, "who": "second"}, None)
    first.join(10)
    assert winners == ["first"]
    assert not app.lock.locked() and app({"who": "s3"}, None) == [b"{}"]
