"""Hostile input, every operation (hostile_corpus.py): each request gets a clear 4xx, nothing of it reaches
the sandbox Altegio (the wire tap in front of its WSGI app sees every request, admin paths included), and
nothing is cached (the cache table's keys are the same before and after)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from hostile_corpus import Case, cases, shapes
from rel_kit import NEW_YORK, Reply

from devstack.httpd import Request

OPERATIONS = sorted(shapes("2026-12-01"))


def send_case(rel, case: Case) -> Reply:
    if case.via == "http":
        return rel.call(case.method, case.path, raw=case.body, headers=case.headers, content_type=None)
    path, _, query = case.path.partition("?")
    headers = [("Accept", "application/vnd.api.v2+json"), ("x-api-key", rel.stack.api_key)]
    headers += list(case.headers.items())
    if case.body is not None:
        headers.append(("Content-Length", str(len(case.body))))
    req = Request(case.method, f"/api/v1/{path}", query, headers, case.body or b"", "127.0.0.1", 0)
    # Past the front door (its header limit would refuse a huge query first): the functions' own answer.
    resp = rel.stack.gateway.handle(req)
    return Reply.make(resp.status, dict(resp.headers), resp.body)


def clear_4xx(reply: Reply, case: Case) -> str | None:
    if not 400 <= reply.status < 500:
        return f"wanted a 4xx, got {reply.short()}"
    if case.expect and reply.status not in case.expect:
        return f"wanted {case.expect}, got {reply.short()}"
    if reply.status == 414:  # the front door refuses a 150 KB URL before any function (API Gateway: 414 too)
        return None
    front_door = isinstance(reply.json, dict) and set(reply.json) == {"message"} and reply.json["message"]
    if not (reply.is_error_envelope or front_door):
        return f"no clear message: {reply.short()}"
    return None


@pytest.fixture(scope="module")
def hostile(rel):
    rel.reset()
    yield rel
    rel.reset()


@pytest.mark.parametrize("op", OPERATIONS)
def test_hostile_input_refused(hostile, op):
    rel = hostile
    corpus = cases(op, (rel.sandbox.state.now().date() + timedelta(days=1)).isoformat())
    keys_before, mark = rel.cache_keys(), rel.mark()

    def one(case: Case) -> str | None:
        try:
            reply = send_case(rel, case)
        except Exception as exc:  # noqa: BLE001 - no answer at all is the finding
            return f"{case.what}: no answer ({type(exc).__name__}: {exc})"
        why = clear_4xx(reply, case)
        return f"{case.what}: {why}" if why else None

    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(one, corpus) if p]
    # Nothing at all may have reached the sandbox: every entry names the request that got through.
    problems += [
        f"reached the sandbox: {e['method']} {(e['raw'] or e['path'])[:160]}"
        for e in rel.upstream_since(mark)
    ]
    added = rel.cache_keys() - keys_before
    if added:
        problems.append(f"cache entries appeared: {sorted(added)}")
    print(f"\n{op}: {len(corpus)} hostile requests")
    assert not problems, f"{op}: {len(problems)} problems with {len(corpus)} hostile requests:\n" + "\n".join(
        problems
    )


def test_corpus_covers_every_operation_and_category(rel):
    """The corpus is the issue's list: every operation of the template, every category."""
    # Altegio's webhooks are no operation: their own hostile bodies are in tests/writes/test_wr_webhooks.py.
    routes = {r.function for r in rel.stack.template.routes} - {"OpenApiFunction", "WebhookAltegioFunction"}
    assert len(OPERATIONS) == len(routes) == 24, (OPERATIONS, sorted(routes))
    whats = " | ".join(c.what for op in OPERATIONS for c in cases(op, "2026-12-01"))
    for needle in (
        "traversal",
        "encoded slash",
        "huge id",
        "negative id",
        "10 000 service_ids[]",
        "impossible date",
        "text/plain",
        "truncated JSON",
        "nested 5 000 deep",
        "over the gateway",
        "unicode",
        "NUL",
        "Authorization with CR/LF",
        "Idempotency-Key with CR/LF",
    ):
        assert needle in whats, needle
    assert json.dumps(NEW_YORK)
