"""Figures of one contender's run: served rate, latency per operation, failures, upstream, cache, slots."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from .loadgen import BUSINESS_CODES, Run
from .settings import ALTEGIO_PER_MINUTE, ALTEGIO_PER_SECOND
from .stale import count_stale
from .visitor import OPERATIONS

# Values of X-Cache (gateway) / X-Cache-Status (nginx) that mean "answered without an upstream call".
FROM_CACHE = {"hit", "stale", "updating", "revalidated"}


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 1)


def latency(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
    }


def visitor_caused(sample: dict) -> bool:
    """A 4xx with one of Altegio's business codes (431-438): the visitor's slot or input, not the system."""
    return 400 <= sample["status"] < 500 and any(c in BUSINESS_CODES for c in sample["codes"])


def answered(sample: dict) -> bool:
    return 200 <= sample["status"] < 300 or visitor_caused(sample)


def peak(times: list[float], window: float) -> int:
    """Most events in any sliding window of `window` seconds."""
    ordered = sorted(times)
    best = lo = 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def failure_label(sample: dict) -> str:
    return sample["err"] or str(sample["status"])


def summarize(run: Run, ledger: dict, duration_s: float, sandbox_seed: int) -> dict:
    window = [x for x in run.samples if run.measure_from <= x["t"] < run.measure_to]
    ok = [x for x in window if answered(x)]
    failed = [x for x in window if not answered(x)]
    by_op: dict[str, list[float]] = defaultdict(list)
    for x in ok:
        by_op[x["op"]].append(x["ms"])

    upstream = ledger["requests"]  # every /api/v1 request the sandbox got (admin calls are not logged)
    up_times = [r["arrived"] for r in upstream]  # Altegio counts requests as they come in
    up_window = [r for r in upstream if run.measure_from <= r["arrived"] < run.measure_to]
    gets = [x for x in window if x["method"] == "GET"]
    cache = Counter((x["cache"] or "none").lower() for x in gets)
    from_cache = sum(v for k, v in cache.items() if k in FROM_CACHE)

    shown = [x for x in run.shown if run.measure_from <= x["t"] < run.measure_to]
    records = [x for x in window if x["op"] == "book_record"]
    checks = [x for x in window if x["op"] == "book_check"]
    conflicts = sum(433 in x["codes"] for x in records)

    return {
        "requests": len(window),
        "offered_rps": round(len(window) / duration_s, 2),
        "served_rps": round(len(ok) / duration_s, 2),
        "answered": len(ok),
        "failed": len(failed),
        "failed_share": round(len(failed) / len(window), 4) if window else 0.0,
        "failed_by_status": dict(Counter(failure_label(x) for x in failed).most_common()),
        # What visitors saw: failures the page's one quiet retry (429/503 + short Retry-After) did not mend.
        "failed_seen_by_visitors": sum(1 for x in failed if not x.get("retried")),
        "failed_by_operation": dict(Counter(x["op"] for x in failed).most_common()),
        "failed_by_reason": dict(
            Counter(f"{failure_label(x)} {x.get('why') or ''}".strip() for x in failed).most_common()
        ),
        "visitor_errors": sum(visitor_caused(x) for x in window),
        "latency_ms": latency([x["ms"] for x in ok]),
        "latency_ms_by_operation": {op: latency(by_op[op]) for op in OPERATIONS if by_op.get(op)},
        "upstream": {
            "requests": len(upstream),
            "requests_in_window": len(up_window),
            "per_client_request": round(len(up_window) / len(window), 4) if window else 0.0,
            "by_operation": dict(Counter(r["operation"] or "-" for r in up_window).most_common()),
            "busiest_second": peak(up_times, 1.0),
            "busiest_minute": peak(up_times, 60.0),
            "status_429": sum(r["status"] == 429 for r in upstream),
            "over_limit": peak(up_times, 1.0) > ALTEGIO_PER_SECOND
            or peak(up_times, 60.0) > ALTEGIO_PER_MINUTE,
            "span_s": round(max(up_times) - min(up_times), 1) if up_times else 0.0,
        },
        "cache": {
            "hit_ratio": round(from_cache / len(gets), 4) if gets else 0.0,
            "gets": len(gets),
            "by_status": dict(cache.most_common()),
            # distinct URLs asked for per operation: how much a cache can share between visitors
            "distinct_gets": dict(Counter(op for op, _ in {(x["op"], x["url"]) for x in gets}).most_common()),
        },
        "slots": count_stale(shown, ledger, sandbox_seed, run.started),
        "bookings": {
            "attempts": len(records),
            "created": sum(200 <= x["status"] < 300 for x in records),
            "conflicts_433": conflicts,
            "lost_at_check": sum(any(c in (433, 436, 437) for c in x["codes"]) for x in checks),
        },
        "sessions": {
            "started": run.sessions,
            "in_window": run.sessions_measured,
            "late_starts": run.late_starts,
            "abandoned": run.abandoned,
            "bench_errors": run.errors[:5],
        },
    }


def timeline(run: Run, ledger: dict) -> dict:
    """Per-second series from the first arrival: client latency (answered), served, failed, upstream, 429."""
    t0 = run.started
    n = max(1, math.ceil(run.ended - t0))
    lat: list[list[float]] = [[] for _ in range(n)]
    served, failed, up, up429 = [0] * n, [0] * n, [0] * n, [0] * n
    for x in run.samples:
        i = int(x["t"] - t0)
        if 0 <= i < n:
            if answered(x):
                lat[i].append(x["ms"])
                served[i] += 1
            else:
                failed[i] += 1
    for r in ledger["requests"]:
        i = int(r["arrived"] - t0)
        if 0 <= i < n:
            up[i] += 1
            up429[i] += r["status"] == 429
    return {
        "t0": t0,
        "measure_from_s": round(run.measure_from - t0, 2),
        "measure_to_s": round(run.measure_to - t0, 2),
        "p50_ms": [percentile(v, 50) for v in lat],
        "p95_ms": [percentile(v, 95) for v in lat],
        "served": served,
        "failed": failed,
        "upstream": up,
        "upstream_429": up429,
    }
