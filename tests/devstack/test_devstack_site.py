"""The page server: CloudFront locally (types, gzip, security headers, /api/* with the page's key)."""

from __future__ import annotations

import gzip

import pytest
from devstack_testkit import KEY, PROJECT, call

from devstack.httpd import Request, Response, Server
from devstack.site import EDGE_IP, Site
from devstack.template import Template


@pytest.fixture(scope="module")
def site():
    template = Template(PROJECT / "template.yaml", local={"PageApiKeyValue": KEY})
    seen: list[Request] = []

    def gateway(req: Request) -> Response:
        seen.append(req)
        return Response(200, [("Content-Type", "application/json"), ("X-Cache", "miss")], b"{}")

    server = Server(Site(PROJECT / "web", template.edge, gateway), label="page")
    server.seen = seen
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/sub/small.css", "text/css; charset=utf-8"),
        ("/config.json", "application/json"),
    ],
)
def test_files_with_their_types_and_the_templates_security_headers(site, path, ctype):
    r = call(site.url, "GET", path)
    assert r.status == 200 and r.header("Content-Type") == ctype
    assert r.header("X-Frame-Options") == "SAMEORIGIN" and r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("X-XSS-Protection") == "1; mode=block" and r.header("X-Test-Site") == "hello"
    assert r.body == (PROJECT / "web" / (path.lstrip("/") or "index.html")).read_bytes()


def test_gzip_when_accepted_and_big_enough(site):
    plain = (PROJECT / "web" / "app.js").read_bytes()
    r = call(site.url, "GET", "/app.js", [("Accept-Encoding", "br, gzip;q=0.8")])
    assert r.header("Content-Encoding") == "gzip" and r.header("Vary") == "Accept-Encoding"
    assert gzip.decompress(r.body) == plain and len(r.body) < len(plain)
    assert call(site.url, "GET", "/app.js", [("Accept-Encoding", "gzip;q=0")]).body == plain
    small = call(site.url, "GET", "/sub/small.css", [("Accept-Encoding", "gzip")])
    assert small.header("Content-Encoding") is None  # CloudFront leaves files under 1,000 bytes alone


def test_revalidation_head_and_refusals(site):
    r = call(site.url, "GET", "/app.js")
    again = call(site.url, "GET", "/app.js", [("If-None-Match", r.header("ETag"))])
    assert again.status == 304 and again.body == b""
    head = call(site.url, "HEAD", "/app.js")
    assert head.status == 200 and head.body == b"" and head.header("Content-Length") == str(len(r.body))
    for path in ("/nope.js", "/../template.yaml", "/%2e%2e/template.yaml", "/.hidden", "/sub/"):
        assert call(site.url, "GET", path).status == 404, path
    assert call(site.url, "POST", "/index.html", body=b"").status == 403


def test_api_requests_go_to_the_gateway_with_the_page_key(site):
    site.seen.clear()
    r = call(
        site.url,
        "POST",
        "/api/v1/echo?x=1",
        [("x-api-key", "visitor-sent"), ("Host", "page"), ("Authorization", "User t")],
        b'{"a":1}',
    )
    assert r.status == 200 and r.header("X-Cache") == "miss"
    assert r.header("X-Frame-Options") is None  # the policy is on the page behaviour only, as in the template
    (req,) = site.seen
    assert (req.method, req.path, req.query, req.body) == ("POST", "/test/api/v1/echo", "x=1", b'{"a":1}')
    assert req.header("x-api-key") == KEY  # CloudFront's origin header replaces the viewer's
    assert [v for k, v in req.headers if k.lower() == "x-api-key"] == [KEY]
    assert req.header("Host") == "local00api.execute-api.localhost"  # the viewer's Host is not passed on
    assert req.header("Authorization") == "User t"
    assert req.header("X-Forwarded-For") == "127.0.0.1" and "CloudFront" in req.header("Via")
    assert req.client_ip == EDGE_IP  # the API sees CloudFront's edge connect, never the viewer
