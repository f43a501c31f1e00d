"""Concurrent misses for one key make one upstream call."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from rd_kit import upstream_calls


def test_fifty_concurrent_misses_make_one_upstream_call(local_stack, gw):
    local_stack.sandbox.configure(latency_ms=400)
    try:
        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda _: gw("/book_services/101?staff_id=1012"), range(50)))
        calls = upstream_calls(local_stack, "/book_services/101")
        ledger = [r for r in local_stack.sandbox.requests() if "book_services" in r["path"]]
    finally:
        local_stack.sandbox.reset(config=True)
    assert all(a.status == 200 for a in answers)
    assert len({a.body for a in answers}) == 1
    assert calls == 1, ledger
    assert sum(a.headers["x-cache"] == "miss" for a in answers) == 1
