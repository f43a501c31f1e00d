"""Access: the location allowlist, the API key where the template asks for it, CORS for the page's origin
only, and the page's security headers."""

from __future__ import annotations

import json
import re

import pytest
from hostile_corpus import shapes
from rel_kit import HTTP

OTHER_LOCATION = "303"  # a real-looking Altegio location this deployment does not serve
EVIL_ORIGIN = "https://evil.example"
TOMORROW = "2026-12-01"
# Operations that name a location, and where: the path parameter or the company_id query parameter.
LOCATED = {
    "privacy_policy": "location_id",
    "book_services": "location_id",
    "book_staff": "location_id",
    "book_staff_seances": "location_id",
    "book_dates": "location_id",
    "book_times": "location_id",
    "book_code": "location_id",
    "book_check": "location_id",
    "book_record": "location_id",
    "book_record_get": "location_id",
    "book_record_put": "location_id",
    "activity_book": "location_id",
    "booking_user_phone_confirmation": "company_id",
}


def _request(op: str, location: str | None = None):
    shape = shapes(TOMORROW)[op]
    query = shape.query
    path = shape.path()
    if location is not None:
        if LOCATED[op] == "company_id":
            query = re.sub(r"company_id=\d+", f"company_id={location}", query)
        else:
            path = shape.path(location_id=location)
    body = json.dumps(shape.body).encode() if shape.body is not None else None
    return shape.method, path + (f"?{query}" if query else ""), body, dict(shape.headers)


@pytest.fixture(scope="module")
def access(rel):
    rel.reset()
    yield rel
    rel.reset()


@pytest.mark.parametrize("op", sorted(LOCATED))
def test_location_allowlist(access, op):
    """A location outside ALLOWED_LOCATION_IDS gets Altegio's 404 before Altegio or the cache is asked."""
    rel = access
    method, path, body, headers = _request(op, OTHER_LOCATION)
    keys, mark = rel.cache_keys(), rel.mark()
    reply = rel.call(method, path, raw=body, headers=headers)
    assert reply.status == 404, reply.short()
    assert reply.is_error_envelope and OTHER_LOCATION in reply.message, reply.short()
    assert rel.upstream_since(mark) == [], rel.upstream_since(mark)
    assert rel.cache_keys() == keys


def test_allowlist_is_the_template_parameter(rel):
    allowed = {int(x) for x in rel.stack.template.parameters["AllowedLocationIds"].split(",")}
    assert allowed == {101, 202}
    assert int(OTHER_LOCATION) not in allowed


def _routes(rel):
    return {(r.method, r.path): r for r in rel.stack.template.routes}


def _fill(path: str) -> str:
    values = {
        "id": "1",
        "lang_code": "en-US",
        "location_id": "202",
        "team_member_id": "2021",
        "date": TOMORROW,
        "record_id": "3000001",
        "record_hash": "6ec9d28663ca828dd5f4b3b2e4b06ce6",
        "event_id": "7201",
        "record_token": "review-202",
        "secret": "not-the-webhook-secret-00000",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_api_key_required_where_the_template_says(access):
    """Every route the template protects answers 403 without the key and with a wrong one, before any
    function runs; of the routes it exempts, the OpenAPI document answers without a key and Altegio's
    webhooks refuse whoever lacks their secret."""
    rel = access
    routes = _routes(rel)
    api = rel.stack.template.apis["BookingApi"]
    assert api.api_key_required, "the template's API must require keys by default"
    exempt = sorted(p for (m, p), r in routes.items() if not r.api_key_required)
    # Altegio's webhooks carry no key (Altegio cannot send one): their secret authenticates them.
    assert exempt == ["/api/v1/openapi.json", "/api/v1/webhooks/altegio", "/api/v1/webhooks/altegio/{secret}"]
    mark = rel.mark()
    problems = []
    for (method, path), route in sorted(routes.items()):
        url = _fill(path)
        for label, headers, use_key in (
            ("no key", {}, False),
            ("wrong key", {"x-api-key": "not-the-key-0000000000"}, False),
            ("key in the query", {}, False),
        ):
            target = url + (f"?x-api-key={rel.stack.api_key}" if label == "key in the query" else "")
            reply = rel.call(
                method,
                target,
                headers=headers,
                api_key=use_key,
                body={} if method in ("POST", "PUT") else None,
            )
            if route.api_key_required:
                meta = (reply.json or {}).get("meta") or {}
                if (
                    reply.status != 403
                    or not reply.is_error_envelope
                    or "x-api-key" not in meta.get("message", "")
                ):
                    problems.append(f"{method} {path} with {label}: {reply.short()}")
            elif "/webhooks/" in path:  # no secret, or a wrong one: refused in Altegio's envelope
                if reply.status not in (401, 403) or (reply.json or {}).get("success") is not False:
                    problems.append(f"{method} {path} (webhook) with {label}: {reply.short()}")
            elif reply.status != 200:
                problems.append(f"{method} {path} (exempt) with {label}: {reply.short()}")
    assert not problems, "\n".join(problems)
    reached = [e for e in rel.upstream_since(mark) if "openapi" not in e["path"]]
    assert reached == [], reached


def test_page_needs_no_key_of_its_own(access):
    """The page calls /api/* on its own origin without a key: the CDN adds it (the origin custom
    header), so web/ ships none (test_rel_secrets checks the files)."""
    resp = HTTP.request(
        "GET", access.stack.page_url + "api/v1/bookform/1", headers={"Accept": "application/json"}
    )
    assert resp.status == 200, resp.data[:200]


def test_cors_limited_to_the_page_origin(access):
    rel = access
    allowed = rel.stack.template.parameters["AllowedOrigin"]
    assert allowed.startswith("https://") and "*" not in allowed
    problems = []
    for (method, path), _route in sorted(_routes(rel).items()):
        url = _fill(path)
        pre = rel.call(
            "OPTIONS",
            url,
            api_key=False,
            headers={"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": method},
        )
        acao = pre.headers.get("access-control-allow-origin")
        if acao != allowed:
            problems.append(f"preflight {method} {path}: Access-Control-Allow-Origin {acao!r}")
        if pre.headers.get("access-control-allow-credentials", "").lower() == "true":
            problems.append(f"preflight {method} {path}: credentials allowed")
    for path in ("book_services/101", "book_services/999", "book_times/202/0/2026-02-30", "bookform/1"):
        evil = rel.call("GET", path, headers={"Origin": EVIL_ORIGIN})
        if evil.headers.get("access-control-allow-origin") not in (None, allowed):
            problems.append(
                f"GET {path} from {EVIL_ORIGIN}: {evil.headers.get('access-control-allow-origin')!r}"
            )
        good = rel.call("GET", path, headers={"Origin": allowed})
        if good.headers.get("access-control-allow-origin") != allowed:
            problems.append(f"GET {path} from {allowed}: {good.headers.get('access-control-allow-origin')!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ["", "index.html", "app.js", "config.json", "styles.css", "no-such-file.js"])
def test_page_security_headers(rel, path):
    resp = HTTP.request("GET", rel.stack.page_url + path)
    h = {k.lower(): v for k, v in resp.headers.items()}
    csp = h.get("content-security-policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("default-src") == "'self'", csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp and "*" not in csp, csp
    assert directives.get("frame-ancestors") == "'none'", csp
    assert directives.get("connect-src") == "'self'", csp  # the page talks to its own origin only
    assert h.get("x-content-type-options") == "nosniff"
    assert h.get("x-frame-options") == "DENY"
    assert h.get("referrer-policy") in ("strict-origin-when-cross-origin", "no-referrer", "same-origin")
    hsts = h.get("strict-transport-security", "")
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000 and "includeSubDomains" in hsts, hsts
    assert resp.status == (404 if path.startswith("no-such") else 200)
