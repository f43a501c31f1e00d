"""The local API Gateway over HTTP on a small test template: events, responses, keys, routes, failures."""

from __future__ import annotations

import base64
import dataclasses
import http.client
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from devstack_testkit import KEY, PROJECT, call

from devstack.apigw import HEADER_LIMIT, Gateway, header_size
from devstack.httpd import MAX_BODY, Request, Server
from devstack.runtime import FunctionError, FunctionPool, Functions
from devstack.template import Template

K = [("x-api-key", KEY)]
MISSING_TOKEN = {"message": "Missing Authentication Token"}
# The keys of `sam local generate-event apigateway aws-proxy` (REST proxy, payload format 1.0).
EVENT_KEYS = {
    "body",
    "resource",
    "path",
    "httpMethod",
    "isBase64Encoded",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "headers",
    "multiValueHeaders",
    "requestContext",
}
CONTEXT_KEYS = {
    "accountId",
    "resourceId",
    "stage",
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "identity",
    "path",
    "resourcePath",
    "httpMethod",
    "apiId",
    "protocol",
}


@pytest.fixture(scope="module")
def gw():
    template = Template(PROJECT / "template.yaml", local={"PageApiKeyValue": KEY})
    functions = Functions(template, max_instances=3)
    gateway = Gateway(template, functions, KEY)
    server = Server(gateway, label="api")
    server.functions, server.gateway = functions, gateway
    yield server
    server.stop()


def echo(gw, method, path, headers=K, body=None):
    r = call(gw.url, method, path, headers, body)
    assert r.status in (200, 201), (r.status, r.body)
    return r, r.json()


def test_event_has_the_rest_proxy_shape(gw):
    headers = [*K, ("X-Dup", "1"), ("x-dup", "2"), ("User-Agent", "devstack-test")]
    query = "service_ids[]=10011&service_ids%5B%5D=10012&x=a+b%2Bc&empty="
    r, got = echo(gw, "GET", f"/api/v1/echo/a%20b%2F1/?{query}", headers)
    ev = got["event"]
    assert set(ev) == EVENT_KEYS and set(ev["requestContext"]) >= CONTEXT_KEYS
    assert ev["resource"] == "/api/v1/echo/{id}" and ev["httpMethod"] == "GET"
    assert ev["path"] == "/api/v1/echo/a%20b%2F1/"  # raw, trailing slash kept
    assert ev["pathParameters"] == {"id": "a b/1"}  # decoded
    assert ev["queryStringParameters"] == {"service_ids[]": "10012", "x": "a b+c", "empty": ""}
    assert ev["multiValueQueryStringParameters"] == {
        "service_ids[]": ["10011", "10012"],
        "x": ["a b+c"],
        "empty": [""],
    }
    assert ev["headers"]["X-Dup"] == "2" and ev["multiValueHeaders"]["X-Dup"] == ["1", "2"]
    assert ev["headers"]["X-Forwarded-For"] == "127.0.0.1" and ev["headers"]["X-Forwarded-Proto"] == "http"
    assert ev["stageVariables"] is None and ev["body"] is None and ev["isBase64Encoded"] is False
    ctx = ev["requestContext"]
    assert ctx["stage"] == "test" and ctx["resourcePath"] == "/api/v1/echo/{id}"
    assert ctx["path"] == "/test/api/v1/echo/a%20b%2F1/"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["identity"]["userAgent"] == "devstack-test"
    assert ctx["identity"]["apiKey"] == KEY and ctx["identity"]["apiKeyId"]
    assert str(uuid.UUID(ctx["requestId"])) == r.header("x-amzn-RequestId")
    example = json.loads((PROJECT / "events" / "echo.json").read_text())
    assert set(example) == set(ev)


def test_x_forwarded_for_and_source_ip_as_api_gateway_builds_them(gw):
    """What came (several lines joined, in order), then the connection's address, which is also sourceIp:
    behind CloudFront the viewer is second from the right and the edge last."""
    sent = [*K, ("X-Forwarded-For", "10.0.0.1, 203.0.113.24"), ("x-forwarded-for", "198.51.100.9")]
    _, got = echo(gw, "GET", "/api/v1/echo/1", sent)
    ev = got["event"]
    assert ev["headers"]["X-Forwarded-For"] == "10.0.0.1, 203.0.113.24, 198.51.100.9, 127.0.0.1"
    assert ev["multiValueHeaders"]["X-Forwarded-For"] == [ev["headers"]["X-Forwarded-For"]]
    assert ev["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_partner_keys_are_accepted_with_their_own_id(gw):
    partner_id = gw.gateway.add_api_key("partner-key-0123456789")
    _, got = echo(gw, "GET", "/api/v1/echo/1", [("x-api-key", "partner-key-0123456789")])
    identity = got["event"]["requestContext"]["identity"]
    assert identity["apiKeyId"] == partner_id != gw.gateway.api_key_id
    assert call(gw.url, "GET", "/api/v1/echo/1", [("x-api-key", "unknown-key")]).status == 403


def test_bodies_text_and_binary(gw):
    _, got = echo(
        gw, "POST", "/api/v1/echo", [*K, ("Content-Type", "application/json")], b'{"a": "\xc3\xa9"}'
    )
    assert got["event"]["body"] == '{"a": "é"}' and got["event"]["isBase64Encoded"] is False
    assert got["event"]["pathParameters"] is None and got["event"]["queryStringParameters"] is None
    _, got = echo(gw, "POST", "/api/v1/echo", K, b"\xff\x00\xfe")
    assert got["event"]["isBase64Encoded"] is True
    assert base64.b64decode(got["event"]["body"]) == b"\xff\x00\xfe"


def test_response_headers_and_multi_value_headers_merged(gw):
    r, _ = echo(gw, "GET", "/api/v1/echo/1")
    assert r.all("Set-Cookie") == ["a=1", "b=2"]  # a=1 in both: sent once
    assert r.all("X-Multi") == ["x", "y"] and r.header("X-Cache") == "bypass"
    assert r.header("Content-Type") == "application/json" and r.header("x-amzn-RequestId")
    r = call(gw.url, "GET", "/api/v1/binary", K)
    assert r.status == 200 and r.header("Content-Type") == "image/png"
    assert r.body == base64.b64decode("iVBORw0K")


def test_api_key_is_checked_where_the_template_requires_it(gw):
    for headers in ([], [("x-api-key", "wrong")], [("X-Api-Key", KEY + "x")]):
        r = call(gw.url, "GET", "/api/v1/echo/1", headers)
        assert (r.status, r.json()) == (403, {"message": "Forbidden"})
        assert r.header("x-amzn-ErrorType") == "ForbiddenException"
    assert call(gw.url, "GET", "/api/v1/echo/1", [("X-API-KEY", KEY)]).status == 200
    _, got = echo(gw, "GET", "/api/v1/open", [])  # Auth: {ApiKeyRequired: false} on the event
    assert got["event"]["requestContext"]["identity"]["apiKey"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/nope"),
        ("DELETE", "/api/v1/echo/1"),
        ("GET", "/"),
        ("GET", "/api/v1/echo"),
        ("GET", "/api/v1/echo//"),
        ("GET", "/api/v1/echo/1/2"),
        ("GET", "/api/v1/files/"),
    ],
)
def test_unknown_routes_answer_like_api_gateway(gw, method, path):
    r = call(gw.url, method, path, K)
    assert (r.status, r.json()) == (403, MISSING_TOKEN)
    assert r.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    ("method", "path"),
    [("TRACE", "/api/v1/echo/1"), ("TRACE", "/api/v1/files/a"), ("PROPFIND", "/api/v1/echo/1"), ("FOO", "/")],
)
def test_methods_no_resource_can_have_answer_like_api_gateway(gw, method, path):
    """Not a 501 from the HTTP server: API Gateway answers a method the resource lacks (ANY covers only
    the seven it knows) as it answers an unknown resource."""
    r = call(gw.url, method, path, K)
    assert (r.status, r.json()) == (403, MISSING_TOKEN)
    assert r.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


def _counting_invocations(gw, monkeypatch) -> list[str]:
    invoked: list[str] = []
    real = gw.functions.invoke
    monkeypatch.setattr(gw.functions, "invoke", lambda fn, *a, **kw: invoked.append(fn) or real(fn, *a, **kw))
    return invoked


def test_request_headers_over_the_limit_never_reach_the_function(gw, monkeypatch):
    invoked = _counting_invocations(gw, monkeypatch)
    r = call(gw.url, "POST", "/api/v1/echo", [*K, ("X-Big", "a" * HEADER_LIMIT)], b"{}")
    assert (r.status, r.json()) == (431, {"message": "Request Header Fields Too Large"})
    assert invoked == []
    assert call(gw.url, "GET", "/api/v1/echo/1", [*K, ("Cookie", "c" * 9_000)]).status == 200
    assert invoked == ["EchoFunction"]


def test_the_header_limit_counts_the_request_line_and_header_values():
    def req(pad: int) -> Request:  # "GET /api/v1/echo/1?q=1 HTTP/1.1" is 31 bytes, names do not count
        return Request("GET", "/api/v1/echo/1", "q=1", [("x-api-key", KEY), ("X-Pad", "p" * pad)])

    exact = HEADER_LIMIT - 31 - len(KEY)
    assert header_size(req(exact)) == HEADER_LIMIT
    template = Template(PROJECT / "template.yaml", local={"PageApiKeyValue": KEY})
    gateway = Gateway(template, Functions(template, max_instances=1), KEY)
    assert gateway(req(exact)).status == 200
    over = gateway(req(exact + 1))
    assert (over.status, json.loads(over.body)) == (431, {"message": "Request Header Fields Too Large"})


def test_concurrent_invocations_each_read_their_own_event(gw, monkeypatch):
    """Powertools keeps the event it resolves on a class, one per process; copies of functions run at once
    in this one. The load run's lost booking: a POST's handler read a concurrent GET's event (no body, 422
    "A JSON request body is required."). Here the POST is held right after resolve() stored its event
    while a GET is resolved in a second copy."""
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    stored, go = threading.Event(), threading.Event()
    resolve = ApiGatewayResolver._resolve

    def held(self):
        if self.current_event.http_method == "POST":
            stored.set()
            assert go.wait(10)
        return resolve(self)

    monkeypatch.setattr(ApiGatewayResolver, "_resolve", held)
    body = b'{"appointments": [{"id": 1}]}'
    with ThreadPoolExecutor(1) as ex:
        post = ex.submit(
            call, gw.url, "POST", "/api/v1/routed", [*K, ("Content-Type", "application/json")], body
        )
        try:
            assert stored.wait(10)
            got = call(gw.url, "GET", "/api/v1/routed/7", K)
        finally:
            go.set()
        posted = post.result()
    assert (got.status, got.json()) == (
        200,
        {"method": "GET", "path": "/api/v1/routed/7", "body": None, "item": "7"},
    )
    assert posted.status == 200, posted.body
    assert posted.json()["method"] == "POST" and posted.json()["body"] == body.decode()
    assert posted.json()["request_id"] == posted.header("x-amzn-RequestId")


def test_routing_literal_greedy_any_and_stage_prefix(gw):
    _, got = echo(gw, "GET", "/api/v1/echo/special")  # a literal resource beats {id}
    assert got == {"helper": "other helper", "resource": "/api/v1/echo/special"}
    _, got = echo(gw, "GET", "/api/v1/echo/other")
    assert got["helper"] == "echo helper" and got["layer"] == "echo layer"  # private helper, layer on path
    _, got = echo(gw, "POST", "/api/v1/files/a/b%2Fc.txt")  # Method: any, {path+}
    assert got["event"]["pathParameters"] == {"path": "a/b/c.txt"}
    _, got = echo(gw, "GET", "/test/api/v1/echo/5")  # the execute-api URL form with the stage
    assert (
        got["event"]["path"] == "/api/v1/echo/5"
        and got["event"]["requestContext"]["path"] == "/test/api/v1/echo/5"
    )


def test_cors_preflight_needs_no_key(gw):
    r = call(gw.url, "OPTIONS", "/api/v1/echo/1", [("Origin", "https://hello.example")])
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == "https://hello.example"
    assert r.header("Access-Control-Allow-Methods") == "GET,POST,OPTIONS"
    assert r.header("Access-Control-Max-Age") == "60"
    r = call(gw.url, "OPTIONS", "/api/v1/files/a")  # beside Method: any too
    assert r.status == 200 and r.header("Access-Control-Allow-Origin") == "https://hello.example"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/explode", "/api/v1/malformed", "/api/v1/broken", "/api/v1/missing", "/api/v1/echo/1?decimal=1"],
)
def test_failing_functions_answer_502_and_the_rest_keeps_working(gw, path, caplog):
    r = call(gw.url, "GET", path, K)
    assert (r.status, r.json()) == (502, {"message": "Internal server error"})
    assert caplog.text  # and the log says why
    assert call(gw.url, "GET", "/api/v1/echo/1", K).status == 200


def test_context_and_one_invocation_per_copy_with_cold_starts_up_to_the_cap(gw):
    pool = gw.functions.pools["EchoFunction"]
    with ThreadPoolExecutor(8) as ex:
        replies = list(ex.map(lambda i: echo(gw, "GET", f"/api/v1/echo/{i}?sleep=0.3")[1], range(8)))
    assert {r["overlap"] for r in replies} == {1}  # never two invocations in one copy at once
    assert len({r["copy"] for r in replies}) == pool.instances == 3  # the cap
    cold = pool.cold_starts
    for i in range(3):
        echo(gw, "GET", f"/api/v1/echo/{i}")
    assert pool.cold_starts == cold  # warm copies are reused
    got = replies[0]
    assert got["function_name"] == "EchoFunction" and got["memory"] == 256
    assert 0 < got["remaining_ms"] <= 5000


def test_a_slow_invocation_fails_like_a_lambda_timeout():
    template = Template(PROJECT / "template.yaml", local={"PageApiKeyValue": KEY})
    fn = dataclasses.replace(template.functions["EchoFunction"], timeout=0.05)
    event = {"httpMethod": "GET", "queryStringParameters": {"sleep": "0.1"}}
    with pytest.raises(FunctionError, match="Task timed out after 0.05 seconds"):
        FunctionPool(fn).invoke(event)


def test_a_refused_body_ends_the_connection_and_says_so(gw):
    """A 413 leaves the body unread, so the connection cannot be reused: `Connection: close` tells the
    client before it sends the next request on a socket the server is closing."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    try:
        conn.putrequest("POST", "/api/v1/echo")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(MAX_BODY + 1))
        conn.endheaders()
        reply = conn.getresponse()
        assert reply.status == 413
        assert reply.getheader("Connection") == "close"
        assert reply.read() and reply.will_close
    finally:
        conn.close()


def test_gateway_responses_shape_the_gateways_own_answers():
    """As API Gateway applies GatewayResponses: the type's own entry, else DEFAULT_4XX/5XX; its status,
    static or request headers, and its template with $context.error.* filled in; else the default."""
    from devstack.apigw import gateway_error
    from devstack.template import GatewayResponse

    envelope = '{"success":false,"data":null,"meta":{"message":$context.error.messageString}}'
    responses = {
        "DEFAULT_4XX": GatewayResponse(
            None, {"Access-Control-Allow-Origin": "'https://a.example'"}, {"application/json": envelope}
        ),
        "MISSING_AUTHENTICATION_TOKEN": GatewayResponse(404, {"X-Echo": "method.request.header.x-probe"}, {}),
    }
    req = Request("GET", "/nothing", "", [("X-Probe", "seen")])
    too_long = gateway_error("DEFAULT_4XX", req, responses)  # 431: the default's template
    assert too_long.status == 431 and too_long.header("Access-Control-Allow-Origin") == "https://a.example"
    assert json.loads(too_long.body) == {
        "success": False,
        "data": None,
        "meta": {"message": "Request Header Fields Too Large"},
    }
    forbidden = gateway_error("INVALID_API_KEY", req, responses)  # no entry of its own: DEFAULT_4XX's
    assert forbidden.status == 403 and json.loads(forbidden.body)["meta"]["message"] == "Forbidden"
    missing = gateway_error("MISSING_AUTHENTICATION_TOKEN", req, responses)  # its own, status changed
    assert (missing.status, missing.header("X-Echo")) == (404, "seen")
    assert json.loads(missing.body) == {
        "message": "Missing Authentication Token"
    }  # no template: default body
    failed = gateway_error("DEFAULT_5XX", None, responses)  # nothing customised for 5xx
    assert (failed.status, json.loads(failed.body)) == (502, {"message": "Internal server error"})
    assert gateway_error("INVALID_API_KEY").header("x-amzn-ErrorType") == "ForbiddenException"
