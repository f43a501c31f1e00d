"""The shared upstream budget: Altegio never sees more than its limits, and nothing fails."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

KEYS = [
    f"/book_staff_seances/{loc}/0?service_ids[]={svc}"
    for loc, svcs in ((101, (10011, 10012, 10021, 10022, 10013)), (202, (20011, 20012, 20021, 20022)))
    for svc in svcs
]
KEYS += [
    f"/book_services/{loc}?staff_id={staff}"
    for loc, staffs in ((101, (0, 1011, 1012, 1013, 1014)), (202, (0, 2021, 2022, 2023, 2024)))
    for staff in staffs
]
KEYS += [
    f"/book_staff/{loc}?service_ids[]={svc}"
    for loc, svcs in ((101, (10011, 10012, 10021, 10022, 10013)), (202, (20011, 20012, 20021, 20022)))
    for svc in svcs
]
KEYS += ["/bookform/1", "/bookform/2"]


def _max_in_window(times: list[float], width: float) -> int:
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_300_requests_over_30_keys_in_10s_stay_within_altegio_limits(local_stack, gw):
    assert len(set(KEYS)) == 30
    local_stack.sandbox.configure(rate_limit=True, per_second=5, per_minute=200, latency_ms=60, jitter_ms=40)
    started = time.monotonic()
    rng = random.Random(7)

    def one(i: int):
        time.sleep(max(0.0, started + i / 30 - time.monotonic()))  # 30 requests/s for 10 s
        # A new key every third of a second (a page's visitors spread over days and services),
        # the rest spread over the keys seen so far.
        return gw(KEYS[rng.randint(0, min(29, i // 10))])

    try:
        with ThreadPoolExecutor(24) as pool:
            answers = list(pool.map(one, range(300)))
        upstream = local_stack.sandbox.requests()
    finally:
        local_stack.sandbox.reset(config=True)
    assert [(a.status, a.body[:120]) for a in answers if a.status != 200] == [], [
        r for r in upstream if r["status"] != 200
    ][:3]
    assert not [r for r in upstream if r["status"] == 429]
    times = [r["arrived"] for r in upstream]
    assert _max_in_window(times, 1.0) <= 5
    assert len(times) <= 200
