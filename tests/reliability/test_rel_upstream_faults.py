"""Upstream faults (sandbox knobs), every operation: what the caller gets, and that service comes back.

Faults: Altegio down (the sandbox's server stopped: connection refused), slow past the gateway's
timeout (the sandbox hangs after handling), a 5xx burst (nginx 503 pages), a 429 storm (the sandbox's
own rate limiter at 1 request a minute, so every call gets 429 with Retry-After), malformed JSON (bodies
cut in half) and the partner token revoked (401 for it).

Each fault runs every operation once (cached reads twice: with a stale copy kept in the cache, and with
none), checks the answer against EXPECT below, then clears the fault and runs every operation again:
each must succeed, with no restart of anything. The upstream budget is reset before each request (the
budget is not the subject here; test_rel_load.py keeps it), so calls never wait on it.
"""

from __future__ import annotations

import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from rel_kit import FAULTS, NEW_YORK, RIGA, SERVICE, Reply, budget_kept_fresh, upstream_fault
from rel_ops import OPS, Demo, Req, book_record, send

from sandbox import FaultRule

USER_TOKEN_OPS = {
    "booking_user_data",
    "book_record_put",
    "booking_user_put",
    "booking_user_password",
    "booking_user_phone_confirmation",
}


@dataclass(frozen=True)
class Expect:
    status: int | None  # None: 200 served from the cache, X-Cache: stale
    retry_after: bool | None = None  # True: required, False: must be absent, None: either
    says: str = ""  # a word the message must contain (case-insensitive)

    def __str__(self) -> str:
        if self.status is None:
            return "200 stale"
        ra = {True: " +Retry-After", False: " no Retry-After", None: ""}[self.retry_after]
        return f"{self.status}{ra}" + (f" '{self.says}'" if self.says else "")


STALE = Expect(None)
RA, NO_RA = True, False
E = Expect
# What the caller gets while Altegio misbehaves, by kind of operation (rel_ops.OPS). "cached + copy": a
# cached read whose entry is past its freshness but kept (stale-if-error); "cached": one with no entry.
KINDS = ("cached+copy", "cached", "cabinet", "write")
# fmt: off
EXPECT: dict[str, tuple[Expect, ...]] = {
    # fault       cached + copy  cached                   cabinet read             write
    "down":      (STALE,         E(502, RA),              E(502, RA),              E(502, NO_RA, "whether")),
    "slow":      (STALE,         E(504, RA),              E(504, RA),              E(504, NO_RA, "look")),
    "5xx":       (STALE,         E(502, RA),              E(502, RA),              E(502, NO_RA, "whether")),
    "429":       (STALE,         E(503, RA),              E(503, RA),              E(503, RA)),
    "malformed": (STALE,         E(502, RA),              E(502, RA),              E(502, NO_RA, "whether")),
    "revoked":   (STALE,         E(502, NO_RA, "authen"), E(502, NO_RA, "authen"), E(502, NO_RA, "authen")),
}
# fmt: on
# Altegio's 401 cannot say whose token it refused; with a visitor's token in the call the gateway passes
# it on as Altegio's answer ("Authentication needed.") rather than guess.
OVERRIDES: dict[tuple[str, str], Expect] = {("revoked", op): Expect(401) for op in USER_TOKEN_OPS}


def expected(fault: str, op: str, with_copy: bool) -> Expect:
    if (fault, op) in OVERRIDES:
        return OVERRIDES[(fault, op)]
    kind = OPS[op].kind
    return EXPECT[fault][KINDS.index("cached+copy" if kind == "cached" and with_copy else kind)]


def mismatch(reply: Reply, want: Expect) -> str | None:
    """None when the reply is what the table says, else why not."""
    if reply.status >= 500 and not reply.is_error_envelope:
        return f"5xx without Altegio's error envelope and a message: {reply.short()}"
    if want.status is None:
        if reply.status != 200 or reply.headers.get("x-cache") != "stale":
            return f"wanted 200 X-Cache: stale, got {reply.status} X-Cache={reply.headers.get('x-cache')}"
        return None
    if reply.status != want.status:
        return f"wanted {want}, got {reply.short()}"
    if not reply.is_error_envelope:
        return f"no clear message in Altegio's envelope: {reply.short()}"
    ra = reply.headers.get("retry-after")
    if want.retry_after and not (ra and ra.isdigit() and int(ra) >= 1):
        return f"wanted Retry-After (whole seconds >= 1), got {ra!r}"
    if want.retry_after is False and ra is not None:
        return f"wanted no Retry-After, got {ra!r}"
    if want.says and want.says.lower() not in (reply.message or "").lower():
        return f"message should say '{want.says}': {reply.message!r}"
    return None


def _send_all(rel, reqs: list[Req], workers: int, keep_budget_fresh: bool = True) -> list[Reply]:
    fresh = budget_kept_fresh(rel) if keep_budget_fresh else contextlib.nullcontext(rel.reset_budget())
    with fresh, ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda req: send(rel, req, timeout=40), reqs))


def _prepare(demo: Demo, rel) -> list[tuple[Req, bool]]:
    """(request, with a stale copy in the cache): the cached reads at Riga with a copy that is kept but no
    longer fresh, then every operation at New York with no copy. The copies go first: a write whose
    outcome is unknown (cancel during the fault) rightly makes every location's availability entries
    unservable, even stale."""
    copies = [OPS[name].make(demo, RIGA) for name in OPS if OPS[name].kind == "cached"]
    for req in copies:
        rel.reset_budget()
        reply = send(rel, req)
        assert reply.status == 200, f"priming {req.op}: {reply.short()}"
    assert rel.age_cache() >= len(copies)
    reqs = [(OPS[name].make(demo, NEW_YORK), False) for name in OPS]
    return [(req, True) for req in copies] + reqs


def _recover(demo: Demo, rel) -> list[str]:
    def one(name: str) -> str | None:
        # A review link takes one review: the fault run used New York's (and may have committed it).
        req = OPS[name].make(demo, RIGA if name == "master_record_review_post" else NEW_YORK)
        reply = send(rel, req)
        return None if reply.status in OPS[name].ok else f"{name}: after the fault cleared {reply.short()}"

    # The password change rotates the demo account's token: it goes alone, after the others.
    first = [name for name in OPS if name != "booking_user_password"]
    with budget_kept_fresh(rel), ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(one, first) if p]
        return problems + [p for p in [one("booking_user_password")] if p]


def _cache_is_clean(rel) -> list[str]:
    """Nothing but whole, successful Altegio answers is ever cached."""
    import zlib

    bad = []
    for item in rel.cache_items():
        if not str(item["pk"]).startswith("c#"):
            continue
        try:
            body = json.loads(zlib.decompress(item["body"].value))
            ok = isinstance(body, dict) and body.get("success") is True
        except Exception as exc:  # noqa: BLE001 - any failure to read it back is the finding
            ok, body = False, repr(exc)
        if not ok:
            bad.append(f"{item['pk']}: {str(body)[:120]}")
    return bad


@pytest.mark.parametrize("name", FAULTS)
def test_upstream_fault_every_operation(rel, demo, name):
    t_prep = time.perf_counter()
    reqs = _prepare(demo, rel)
    started = time.perf_counter()
    mark = rel.mark()
    with upstream_fault(rel, name):
        # In the 429 storm the budget keeps its state: Altegio's Retry-After must hold every call back.
        replies = _send_all(
            rel,
            [r for r, _ in reqs],
            workers=len(reqs) if name == "slow" else 4,
            keep_budget_fresh=name != "429",
        )
    during = time.perf_counter() - started
    calls_during = len(rel.upstream_since(mark, api_only=True))
    problems = []
    table = []
    for (req, with_copy), reply in zip(reqs, replies, strict=True):
        want = expected(name, req.op, with_copy)
        why = mismatch(reply, want)
        label = req.op + (" (stale copy)" if with_copy else "")
        table.append(
            f"  {label:44} {reply.status} {reply.seconds:5.2f}s {reply.headers.get('x-cache', '-'):6} "
            f"{reply.message or ''}"
        )
        if why:
            problems.append(f"{label}: {why}")
    if name == "429" and calls_during > 4:
        problems.append(
            f"{calls_during} calls reached Altegio after it said 429 + Retry-After (at most 4 in flight)"
        )
    problems += [f"cache holds a bad entry: {b}" for b in _cache_is_clean(rel)]
    t_rec = time.perf_counter()
    problems += _recover(demo, rel)
    print(
        f"\n{name}: prepared in {started - t_prep:.1f} s, {len(reqs)} requests in {during:.1f} s "
        f"({calls_during} reached Altegio), "
        f"recovered in {time.perf_counter() - t_rec:.1f} s\n" + "\n".join(table)
    )
    assert not problems, f"fault '{name}':\n" + "\n".join(problems)


def test_booking_timeout_never_doubles(rel, demo):
    """A booking that times out (Altegio committed it, late) gets 504 telling the caller to look it up; the
    caller's retry with the same Idempotency-Key gets that same answer and books nothing more."""
    req = book_record(demo, key="rel-timeout-key-1")
    staff, when = req.slot
    rel.reset_budget()
    with upstream_fault(rel, "slow"):
        first = send(rel, req)
    assert first.status == 504, first.short()
    assert "look" in (first.message or "").lower(), first.message
    rel.reset_budget()
    again = send(rel, req)
    assert again.status == 504, again.short()
    assert again.headers.get("idempotent-replayed") == "true", again.headers
    made = [a for a in rel.sandbox.appointments() if a["staff_id"] == staff and a["datetime"] == when]
    assert len(made) == 1, made  # committed once upstream, never twice


@pytest.mark.parametrize("name", ["down", "5xx"])
def test_stale_copy_served_after_a_booking_when_altegio_fails(rel, demo, name):
    """DESIGN.md §3: a booking makes the location's availability entries "no longer fresh" (a new
    generation); stale-if-error serves "an expired-but-kept entry" when Altegio fails. So after a booking,
    with Altegio down, the visitor gets the kept copy marked X-Cache: stale rather than an error."""
    read = OPS["book_times"].make(demo, NEW_YORK)
    rel.reset_budget()
    assert send(rel, read).status == 200
    booking = book_record(demo)
    rel.reset_budget()
    assert send(rel, booking).status == 201
    # While still fresh, the copy is served patched without asking Altegio (a hit); aged, it is asked for.
    assert rel.age_cache() >= 1
    rel.reset_budget()
    with upstream_fault(rel, name):
        reply = send(rel, read)
    assert reply.status == 200 and reply.headers.get("x-cache") == "stale", reply.short()


# -- what Altegio's edge and its older API answer (issue 12): Cloudflare's HTML 403 pages, and errors as
# {"errors": {"code", "message"}}. Only the reads are faulted here; tests/writes/test_wr_errors.py has the
# writes.
EDGE_READ_FAULTS = {
    "challenge": dict(kind="challenge"),
    "blocked": dict(kind="blocked"),
    "older-500": dict(kind="legacy", status=500, message="Internal error"),
    "older-404": dict(kind="legacy", status=404, code=404, message="Location not found"),
}


@contextlib.contextmanager
def read_fault(rel, name: str):
    rel.sandbox.configure(faults=[FaultRule(path="/api/v1/book", methods=["GET"], **EDGE_READ_FAULTS[name])])
    try:
        yield
    finally:
        rel.sandbox.configure(faults=[])


def no_html(reply: Reply) -> None:
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
    body = reply.body.lower()
    assert not any(page in body for page in ("<html", "just a moment", "attention required")), reply.short()


def assert_older_404(reply: Reply) -> None:
    """Altegio's older-shape 404, in the current envelope: status, code and message kept."""
    no_html(reply)
    assert reply.status == 404 and reply.headers.get("cache-control") == "no-store", reply.short()
    assert reply.json == {
        "success": False,
        "data": None,
        "meta": {"message": "Location not found", "errors": [{"code": 404, "message": "Location not found"}]},
    }


@pytest.mark.parametrize("name", EDGE_READ_FAULTS)
def test_edge_and_older_shape_faults_on_reads(fresh, demo, name):
    """With a kept copy, a failure (Cloudflare's page, an older-shape 5xx) is answered from it; without one,
    502 + Retry-After with a message. An older-shape 4xx is Altegio's answer: translated, never the copy."""
    rel = fresh
    with_copy = OPS["book_services"].make(demo, RIGA)
    without = OPS["book_times"].make(demo, NEW_YORK)
    rel.reset_budget()
    primed = send(rel, with_copy)
    assert primed.status == 200 and rel.age_cache() == 1
    with read_fault(rel, name):
        rel.reset_budget()
        copy = send(rel, with_copy)
        rel.reset_budget()
        none = send(rel, without)
    assert rel.sandbox.requests()[-1]["fault"], "the fault did not reach the gateway's call"
    if name == "older-404":
        assert_older_404(copy)
        assert_older_404(none)
        return
    assert copy.status == 200 and copy.headers.get("x-cache") == "stale", copy.short()
    assert copy.json == primed.json
    no_html(none)
    assert none.status == 502 and none.is_error_envelope, none.short()
    assert (none.headers.get("retry-after") or "").isdigit(), none.headers
    assert none.json["data"] is None
    edge = name in ("challenge", "blocked")
    assert ("Cloudflare" in none.json["meta"]["message"]) == edge, none.short()


@pytest.mark.parametrize("name", ["challenge", "older-500"])
def test_a_list_of_slots_from_before_a_booking_is_never_served_raw_under_edge_faults(fresh, demo, name):
    """DESIGN.md §3: after the gateway's own booking, the team member's list of that day stands in only
    without the booked time; else 502/503 with Retry-After."""
    rel = fresh
    booking = book_record(demo)
    staff, when = booking.slot
    read = Req(
        "book_times", "GET", f"book_times/{NEW_YORK}/{staff}/{when[:10]}?service_ids[]={SERVICE[NEW_YORK]}"
    )
    rel.reset_budget()
    listed = send(rel, read)
    assert listed.status == 200 and when in [s["datetime"] for s in listed.data], listed.short()
    rel.reset_budget()
    assert send(rel, booking).status == 201
    assert rel.age_cache() >= 1  # aged: Altegio is asked for it (fresh, it is a patched hit)
    with read_fault(rel, name):
        rel.reset_budget()
        reply = send(rel, read)
    no_html(reply)
    if reply.status == 200:
        assert reply.headers.get("x-cache") == "stale", reply.short()
        assert when not in [s["datetime"] for s in reply.data], "a booked time offered again"
    else:
        assert reply.status in (502, 503) and reply.is_error_envelope, reply.short()
        assert (reply.headers.get("retry-after") or "").isdigit(), reply.headers
