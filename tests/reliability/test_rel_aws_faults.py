"""AWS faults: DynamoDB throttling or unavailable while the gateway serves.

DynamoDB is broken at botocore's HTTP layer (`Endpoint._send`), for the gateway only (requests made on
the local API Gateway's threads; the test's own look-ups run on the main thread), so botocore's own
retry logic runs exactly as it would against AWS:

- throttled: every DynamoDB call, or every other one, answers ProvisionedThroughputExceededException;
- refused:   every DynamoDB call fails to connect (moto's server stopped);
- hung:      every DynamoDB call waits until the client's read timeout (a stalled endpoint).

Promises (issue 8, issue 12): reads degrade to budgeted upstream calls (X-Cache: bypass, at most the
in-process limiter's pace), bookings without a key still work, a booking whose Idempotency-Key cannot be
recorded is refused unsent (503 + Retry-After: a retry could double it), every answer comes within the
function's timeout (never API Gateway's own 502), no other 5xx, and the cache works again once DynamoDB
does.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rel_kit import NEW_YORK, RIGA, Reply, dynamodb_fault
from rel_ops import OPS, book_record, send

FUNCTION_TIMEOUT = 15.0  # template.yaml's Globals: API Gateway answers a bare 502 itself after it


def _no_5xx(replies) -> list[str]:
    unsent = "booking with Idempotency-Key"  # its 503 is checked below
    return [
        f"{label}: {r.short()}"
        for label, r in replies
        if (r.status >= 500 and not (label == unsent and r.status == 503)) or r.status == 0
    ] + [
        f"{label}: answered after {r.seconds:.1f} s" for label, r in replies if r.seconds >= FUNCTION_TIMEOUT
    ]


def _try(rel, req) -> Reply:
    """The answer, or status 0 when none came within 30 s (Lambda's own limit here is 15 s)."""
    try:
        return send(rel, req, timeout=30)
    except Exception as exc:  # noqa: BLE001
        return Reply(0, {}, f"no answer: {type(exc).__name__}".encode().decode(), None, 30.0)


def _scenario(rel, demo, monkeypatch, mode: str, every: int = 1) -> dict:
    """One outage: cached reads (warm and cold), a cabinet read, bookings with and without a key."""
    warm = OPS["book_services"].make(demo, RIGA)
    rel.reset_budget()
    assert send(rel, warm).status == 200  # cached before the outage
    cold = [OPS[name].make(demo, NEW_YORK) for name in ("book_staff", "book_dates", "book_times", "bookform")]
    cabinet = OPS["user_records_get"].make(demo, NEW_YORK)
    keyed = book_record(demo)  # as the page books: with an Idempotency-Key
    plain = book_record(demo)
    plain.headers.pop("Idempotency-Key")
    rel.reset_budget()
    mark = rel.mark()
    started = time.perf_counter()
    with dynamodb_fault(monkeypatch, mode, every) as fault:
        replies = [("warm read", send(rel, warm))]
        replies += [(f"cold read {r.op}", send(rel, r)) for r in cold]
        replies += [("cabinet read", send(rel, cabinet))]
        replies += [
            ("booking with Idempotency-Key", send(rel, keyed)),
            ("booking without key", send(rel, plain)),
        ]
    took = time.perf_counter() - started
    upstream = rel.upstream_since(mark, api_only=True)
    after = send(rel, OPS["book_services"].make(demo, NEW_YORK))
    again = send(rel, OPS["book_services"].make(demo, NEW_YORK))
    return {
        "replies": replies,
        "fault": fault,
        "took": took,
        "upstream": upstream,
        "after": (after, again),
        "bookings": (keyed, plain),
    }


@pytest.mark.parametrize(
    ("mode", "every"),
    [
        ("throttled", 2),
        ("refused", 1),
        pytest.param("throttled", 1, marks=pytest.mark.slow),
        pytest.param("hung", 1, marks=pytest.mark.slow),
    ],
    ids=str,
)
def test_dynamodb_fault_degrades_gracefully(rel, demo, monkeypatch, mode, every):
    out = _scenario(rel, demo, monkeypatch, mode, every)
    replies = dict(out["replies"])
    print(
        f"\n{mode} (every {every}): {out['fault'].injected} of {out['fault'].calls} DynamoDB calls failed;"
        f" {len(out['replies'])} requests in {out['took']:.1f} s\n"
        + "\n".join(
            f"  {label:30} {r.status} X-Cache={r.headers.get('x-cache')} {r.seconds:.1f}s {r.message or ''}"
            for label, r in out["replies"]
        )
    )
    problems = _no_5xx(out["replies"])
    assert out["fault"].injected > 0, "no DynamoDB call was broken: the patch missed the gateway"
    for label in (
        "warm read",
        *(f"cold read {n}" for n in ("book_staff", "book_dates", "book_times", "bookform")),
    ):
        r = replies[label]
        if r.status != 200:
            problems.append(f"{label}: wanted 200, got {r.short()}")
        elif every == 1 and r.headers.get("x-cache") != "bypass":
            problems.append(f"{label}: wanted X-Cache: bypass, got {r.headers.get('x-cache')}")
    if replies["cabinet read"].status != 201:
        problems.append(f"cabinet read: wanted 201, got {replies['cabinet read'].short()}")
    for label, req in zip(
        ("booking with Idempotency-Key", "booking without key"), out["bookings"], strict=True
    ):
        r = replies[label]
        made = [a for a in rel.sandbox.appointments() if (a["staff_id"], a["datetime"]) == req.slot]
        if label.endswith("Key") and every == 1:  # the key cannot be recorded: refused before sending
            if r.status != 503 or not r.headers.get("retry-after", "").isdigit() or not r.is_error_envelope:
                problems.append(f"{label}: wanted 503 + Retry-After in the envelope, got {r.short()}")
        elif r.status != 201:
            problems.append(f"{label}: bookings must still work, got {r.short()}")
        if len(made) != (1 if r.status == 201 else 0):
            problems.append(f"{label}: answered {r.status} but the sandbox holds {len(made)} such bookings")
    after, again = out["after"]
    if after.status != 200 or again.headers.get("x-cache") != "hit":
        problems.append(
            f"after DynamoDB came back: {after.status}, then X-Cache={again.headers.get('x-cache')} (no hit)"
        )
    assert not problems, f"DynamoDB {mode}:\n" + "\n".join(problems)


def test_dynamodb_down_reads_are_budgeted(rel, demo, monkeypatch):
    """With the shared budget's table gone the gateway paces itself (in-process limiter): a burst of reads
    of distinct keys gets answers (200, or 503 with Retry-After once the local allowance is spent), never
    a 5xx of another kind, and Altegio never sees more than its limit of 5 calls in any second."""
    reqs = [OPS["book_times"].make(demo, loc) for loc in (RIGA, NEW_YORK)]
    reqs += [OPS["book_staff_seances"].make(demo, loc) for loc in (RIGA, NEW_YORK)]
    reqs += [OPS["book_dates"].make(demo, loc) for loc in (RIGA, NEW_YORK)]
    reqs += [OPS["book_staff"].make(demo, loc) for loc in (RIGA, NEW_YORK)]
    mark = rel.mark()
    with dynamodb_fault(monkeypatch, "refused"), ThreadPoolExecutor(max_workers=len(reqs)) as pool:
        replies = list(pool.map(lambda r: send(rel, r), reqs))
    calls = sorted(e["ts"] for e in rel.upstream_since(mark, api_only=True))
    problems = []
    for req, r in zip(reqs, replies, strict=True):
        if r.status == 503:
            ra = r.headers.get("retry-after")
            if not (ra and ra.isdigit()) or not r.is_error_envelope:
                problems.append(f"{req.op}: 503 without Retry-After or message: {r.short()} {r.headers}")
        elif r.status != 200:
            problems.append(f"{req.op}: {r.short()}")
    busiest = max((sum(1 for t in calls if s <= t < s + 1.0) for s in calls), default=0)
    if busiest > 5:
        problems.append(f"{busiest} upstream calls within one second (Altegio allows 5)")
    print(
        f"\n{len(reqs)} concurrent reads, statuses {[r.status for r in replies]}, {len(calls)} upstream calls"
    )
    assert sum(r.status == 200 for r in replies) >= 1
    assert not problems, "\n".join(problems)
