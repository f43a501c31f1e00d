"""Concurrent misses for one key make one upstream call; the others wait for it or take the stale copy."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from booking_gateway import budget, cache
from booking_gateway.errors import BUDGET_MESSAGE

from sandbox import FaultRule


def _together(gateway, target: str, n: int):
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: gateway.get(target), range(n)))


def test_fifty_concurrent_misses_make_one_upstream_call(gateway):
    gateway.sandbox.configure(latency_ms=300)
    answers = _together(gateway, "/book_services/101?staff_id=1012", 50)
    assert [a.status for a in answers] == [200] * 50
    assert len({a.body for a in answers}) == 1
    assert len(gateway.upstream("/book_services/101")) == 1
    states = sorted(a.headers["x-cache"] for a in answers)
    assert states.count("miss") == 1 and states.count("hit") == 49


def test_concurrent_refresh_of_a_stale_entry_serves_the_copy_at_once(gateway, caplog):
    first = gateway.get("/book_staff/101")
    gateway.update_items("c#book_staff#", fresh_until=time.time() - 1)
    gateway.sandbox.configure(latency_ms=800)
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        answers = _together(gateway, "/book_staff/101", 20)
    refreshes = len(gateway.upstream("/book_staff/101")) - 1  # after the first miss
    # One refresh for all twenty. None only when the CPU was starved between the refresh's budget turn and
    # its send: the budget then sends nothing rather than risk Altegio's limit, and the copy stands in
    # (hog run 2 on 68471a7, two busy loops on 2 cores: the turn 905 ms late).
    starved = "budget turn went stale before the send" in caplog.text
    assert refreshes == 1 or (refreshes == 0 and starved), (refreshes, starved)
    states = sorted(a.headers["x-cache"] for a in answers)
    assert states.count("miss") == refreshes and set(states) <= {"miss", "stale", "hit"}
    stale_bodies = {a.body for a in answers if a.headers["x-cache"] == "stale"}
    assert stale_bodies <= {first.body}
    assert time.monotonic() - started < 3


def test_a_read_that_finds_a_peer_refreshing_serves_the_copy_without_trying_the_lock(gateway, monkeypatch):
    """The first read says whether a peer holds the refresh lock (the same request): with a copy that may
    stand in, it is served at once, with no lock write that must fail (a tenth of the local stack's
    DynamoDB calls in a warm bench run were such writes)."""
    first = gateway.get("/book_staff/101")
    gateway.update_items("c#book_staff#", fresh_until=time.time() - 1)
    key = cache.cache_key("book_staff", 101, "/book_staff/101", [])
    assert cache.try_lock(key, 30)  # a peer's refresh, under way
    locks: list[str] = []
    real_lock = cache.try_lock
    monkeypatch.setattr(cache, "try_lock", lambda k, s: locks.append(k) or real_lock(k, s))
    answer = gateway.get("/book_staff/101")
    assert answer.status == 200 and answer.headers["x-cache"] == "stale" and answer.body == first.body
    assert locks == [] and len(gateway.upstream("/book_staff/101")) == 1


def test_waiters_take_over_when_the_refresh_fails(gateway):
    # The lock holder's call fails (one 500, no copy): waiters must not all fail with it, nor all call.
    gateway.sandbox.configure(
        latency_ms=200, faults=[FaultRule(kind="error", status=500, times=1, path="/bookform/2")]
    )
    answers = _together(gateway, "/bookform/2", 10)
    statuses = sorted(a.status for a in answers)
    assert statuses.count(200) >= 9, statuses  # at most the holder itself answers 502
    assert len(gateway.upstream("/bookform/2")) <= 3  # 500, then one successful retry or take-over


@pytest.mark.gw_env(UPSTREAM_PER_MINUTE="10")
def test_waiters_answer_the_budget_refusal_their_lock_holder_got(gateway, clock, monkeypatch):
    """The budget refused the lock holder's miss (the minute spent): a waiter gets the same 503 with
    Retry-After from the lock, without asking the budget itself. Before, it took the lock over and asked
    the budget again, and under load the waiters behind it ran into their own deadline and were told
    "Altegio is slow to answer" (the one-minute load run's last seconds, the minute spent)."""
    monkeypatch.setattr(budget, "SLOT_SPACING", 0.001)  # the per-second rule is not the subject here
    for _ in range(9):  # the minute's reads (10 less the writes' tenth)
        budget.acquire("read", wait_max=0)
    takes, locks, peeks, holder = [], [], [], []
    real_take, real_lock, real_peek = budget.take, cache.try_lock, cache.peek

    def take(*args, **kwargs):
        takes.append(args)
        return real_take(*args, **kwargs)

    def try_lock(key, seconds):
        locks.append(key)
        return real_lock(key, seconds)

    def peek(key, *args, **kwargs):
        peeks.append(key)
        if len(peeks) == 1:  # the waiter's first read: a peer holds the lock
            return real_peek(key, *args, **kwargs)._replace(held=True)
        if len(peeks) == 2:  # while the waiter waits, the peer is refused by the budget and lets go
            with ThreadPoolExecutor(1) as pool:
                holder.append(pool.submit(gateway.get, "/book_services/101").result())
        return real_peek(key, *args, **kwargs)

    monkeypatch.setattr(budget, "take", take)
    monkeypatch.setattr(cache, "try_lock", try_lock)
    monkeypatch.setattr(cache, "peek", peek)
    waiter = gateway.get("/book_services/101")
    for answer in (holder[0], waiter):
        assert answer.status == 503 and answer.json()["meta"]["message"] == BUDGET_MESSAGE
        assert int(answer.headers["retry-after"]) >= 1
    assert len(takes) == 1 and len(locks) == 1  # the holder's; the waiter neither locked nor asked
    assert gateway.upstream("/book_services/101") == []
