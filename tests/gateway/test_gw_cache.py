"""The DynamoDB cache: normalised keys, expiry on read, generations, stale-if-error, DynamoDB failing."""

from __future__ import annotations

import logging
import time

import pytest
from booking_gateway import budget, cache, dynamo, read_path
from botocore.exceptions import EndpointConnectionError

from sandbox import FaultRule


def test_reordered_and_repeated_service_ids_share_one_entry(gateway):
    a = gateway.get("/book_staff/101?service_ids[]=10012&service_ids[]=10011")
    b = gateway.get("/book_staff/101?service_ids[]=10011&service_ids[]=10012&service_ids[]=10011")
    c = gateway.get("/book_staff/101?service_ids[]=10011,10012")  # comma-joined: same request
    assert [x.headers["x-cache"] for x in (a, b, c)] == ["miss", "hit", "hit"]
    assert a.body == b.body == c.body
    assert len(gateway.cache_items("c#book_staff#")) == 1
    assert len(gateway.upstream()) == 1


def test_different_parameters_are_different_entries(gateway):
    gateway.get("/book_services/101")
    gateway.get("/book_services/101?staff_id=1011")
    gateway.get("/book_services/202")
    assert len(gateway.cache_items("c#book_services#")) == 3


def test_hard_expiry_is_honoured_on_read(gateway):
    gateway.get("/bookform/1")
    # DynamoDB may keep an expired item for days (moto for ever): the read must not serve it, not even
    # as a stale copy.
    gateway.update_items("c#bookform#", expires_at=int(time.time()) - 1)
    gateway.sandbox.configure(error_rate=1.0, error_status=500)
    answer = gateway.get("/bookform/1")
    assert answer.status == 502 and answer.headers["x-cache"] == "miss"
    gateway.sandbox.reset(config=True)
    assert gateway.get("/bookform/1").headers["x-cache"] == "miss"


def test_soft_expiry_refreshes(gateway):
    gateway.get("/book_services/101")
    gateway.update_items("c#book_services#", fresh_until=time.time() - 1)
    assert gateway.get("/book_services/101").headers["x-cache"] == "miss"
    assert gateway.get("/book_services/101").headers["x-cache"] == "hit"
    assert len(gateway.upstream()) == 2


def test_while_refreshes_are_spent_an_aged_copy_is_served_without_trying(gateway):
    gateway.get("/book_services/101")
    gateway.update_items("c#book_services#", fresh_until=time.time() - 1)
    budget._memo()["refresh"] = time.time() + 5  # this container just found the minute spent for them
    assert gateway.get("/book_services/101").headers["x-cache"] == "stale"
    assert len(gateway.upstream()) == 1
    budget._memo().clear()
    assert gateway.get("/book_services/101").headers["x-cache"] == "miss"


def test_while_a_warmer_runs_an_aged_copy_is_served_at_once_and_left_to_it(gateway, monkeypatch):
    """Stale-while-revalidate: with a warmer run under way (its item), a hint that merely aged, by at most
    its freshness again, is served without a refresh on the visitor's way; older, or without a run, or a
    list of slots where no webhook is heard (a front-desk booking shows only on its refresh), the read
    refreshes as before."""
    from booking_gateway import warmer

    times = "/book_times/101/0/2030-01-02"
    gateway.get("/book_services/101")
    gateway.get(times)
    assert warmer._take_run(30)
    gateway.update_items("c#", fresh_until=time.time() - 50)  # book_services: fresh 60 s, so 50 s aged
    assert gateway.get("/book_services/101").headers["x-cache"] == "stale"
    assert len(gateway.upstream("/book_services/")) == 1  # the visitor did not wait for a refresh
    gateway.update_items("c#book_services#", fresh_until=time.time() - 61)  # aged past its freshness again
    assert gateway.get("/book_services/101").headers["x-cache"] == "miss"
    assert len(gateway.upstream("/book_services/")) == 2
    gateway.update_items("c#book_times#", fresh_until=time.time() - 1)
    assert gateway.get(times).headers["x-cache"] == "miss"  # slots, no webhook heard: refreshed on the read
    cache.heard(101)  # Altegio's webhooks report its changes: its aged lists of slots too
    gateway.update_items("c#book_times#", fresh_until=time.time() - 1)
    assert gateway.get(times).headers["x-cache"] == "stale"
    monkeypatch.setattr(read_path, "HEARD_FOR", 0.0)  # heard too long ago
    assert gateway.get(times).headers["x-cache"] == "miss"
    gateway.update_items("c#book_services#", fresh_until=time.time() - 1)
    cache.bump_generation(101)  # a booking there: a hint from before it is refreshed on the read
    assert gateway.get("/book_services/101").headers["x-cache"] == "miss"
    assert len(gateway.upstream("/book_services/")) == 3
    gateway.update_items("c#book_services#", fresh_until=time.time() - 1)
    warmer._end_run()  # nobody refreshes it now: the visitor's read does
    assert gateway.get("/book_services/101").headers["x-cache"] == "miss"
    assert len(gateway.upstream("/book_services/")) == 4


def test_generation_bump_invalidates_the_locations_availability_only(gateway):
    dates = "/book_dates/101?service_ids[]=10011"
    gateway.get(dates)
    gateway.get("/book_dates/202")
    gateway.get("/bookform/1")
    cache.bump_generation(101)
    assert gateway.get(dates).headers["x-cache"] == "miss"
    assert gateway.get(dates).headers["x-cache"] == "hit"
    assert gateway.get("/book_dates/202").headers["x-cache"] == "hit"
    assert gateway.get("/bookform/1").headers["x-cache"] == "hit"  # not availability


def test_a_list_of_times_from_before_a_booking_is_never_served_raw_even_while_altegio_fails(gateway):
    """A location-wide bump (a reschedule) notes nothing, so the old list cannot be patched (holds.py):
    a clear 502 with Retry-After, not the list with the booked time in it."""
    gateway.get("/book_times/202/0/2030-01-02")
    cache.bump_generation(202)
    gateway.sandbox.configure(error_rate=1.0, error_status=503)
    answer = gateway.get("/book_times/202/0/2030-01-02")
    assert (answer.status, answer.headers["x-cache"]) == (502, "miss"), answer.body
    assert int(answer.headers["retry-after"]) >= 1 and answer.json()["success"] is False
    gateway.sandbox.reset(config=True)
    gateway.reset_budget()  # the retries spent this second's slots
    assert gateway.get("/book_times/202/0/2030-01-02").headers["x-cache"] == "miss"


@pytest.mark.parametrize(
    "fault",
    [
        {"error_rate": 1.0, "error_status": 503},
        {"error_rate": 1.0, "error_status": 500},
        {"faults": [FaultRule(kind="error", status=429, rate=1.0)]},
        {"malformed_rate": 1.0},
        {"revoked_tokens": ["sandbox-partner-token"]},
    ],
    ids=["503", "500", "429", "malformed", "token-refused"],
)
def test_stale_copy_served_when_altegio_fails(gateway, fault):
    first = gateway.get("/book_staff/101")
    gateway.update_items("c#book_staff#", fresh_until=time.time() - 1)
    gateway.sandbox.configure(**fault)
    stale = gateway.get("/book_staff/101")
    assert (stale.status, stale.headers["x-cache"], stale.body) == (200, "stale", first.body)
    gateway.sandbox.reset(config=True)  # fault cleared: fresh again without any restart
    gateway.reset_budget()  # the retries spent this second's slots; a 429 paused everyone
    assert gateway.get("/book_staff/101").headers["x-cache"] in ("miss", "hit")


def test_stale_copy_served_when_altegio_is_slow(gateway, monkeypatch):
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT", "0.5")
    from booking_gateway import container

    container.reset()
    first = gateway.get("/book_staff/202")
    gateway.update_items("c#book_staff#", fresh_until=time.time() - 1)
    gateway.sandbox.configure(faults=[FaultRule(kind="hang", hang_s=2, rate=1.0)])
    started = time.monotonic()
    stale = gateway.get("/book_staff/202")
    assert (stale.status, stale.headers["x-cache"], stale.body) == (200, "stale", first.body)
    assert time.monotonic() - started < 1.5  # one timeout, no retry


@pytest.mark.gw_env(UPSTREAM_PER_MINUTE="3")  # reads get 2 of them
def test_stale_copy_when_the_budget_is_spent_and_503_with_retry_after_without_one(gateway):
    gateway.get("/bookform/1")
    gateway.get("/bookform/2")
    gateway.update_items("c#bookform#", fresh_until=time.time() - 1)
    stale = gateway.get("/bookform/1")
    assert stale.status == 200 and stale.headers["x-cache"] == "stale"
    refused = gateway.get("/i18n/en-US")
    assert refused.status == 503 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["success"] is False and "budget" in refused.json()["meta"]["message"]
    assert len(gateway.upstream()) == 2


@pytest.mark.gw_env(UPSTREAM_PER_MINUTE="3")  # reads get 2 of them
def test_an_entry_from_before_a_booking_is_never_served_for_want_of_budget(gateway):
    """Aged entries may stand in while the budget is spent; one a booking made wrong may not (the booked
    slot would show as free): 503 + Retry-After instead, and another day's entry is still a hit."""
    day1, day2 = "/book_times/202/0/2030-01-02", "/book_times/202/0/2030-01-03"
    gateway.get(day1)
    gateway.get(day2)
    cache.bump_generation(202, ["2030-01-02"])  # a booking on day 1
    answer = gateway.get(day1)
    assert (answer.status, answer.headers["x-cache"]) == (503, "miss"), answer.body
    assert int(answer.headers["retry-after"]) >= 1
    assert gateway.get(day2).headers["x-cache"] == "hit"
    assert len(gateway.upstream()) == 2


@pytest.mark.gw_env(UPSTREAM_PER_MINUTE="3")
def test_a_hint_from_before_a_booking_stands_in_while_the_budget_is_spent(gateway):
    """Bookable days are a coarse hint (book_times re-checks the day): served stale rather than refused."""
    first = gateway.get("/book_dates/202")
    gateway.get("/bookform/2")  # the reads' share of the minute is spent
    cache.bump_generation(202, ["2030-01-02"])
    answer = gateway.get("/book_dates/202")
    assert (answer.status, answer.headers["x-cache"], answer.body) == (200, "stale", first.body)


def test_rate_limited_without_a_copy_is_503_with_retry_after(gateway):
    gateway.sandbox.configure(faults=[FaultRule(kind="error", status=429, rate=1.0)])
    answer = gateway.get("/book_services/101")
    assert answer.status == 503 and int(answer.headers["retry-after"]) >= 1
    assert answer.headers["x-cache"] == "miss" and answer.headers["cache-control"] == "no-store"
    assert answer.json()["meta"]["message"].lower().count("retry") == 1


def test_altegio_down_without_a_copy_is_a_clear_502(gateway):
    gateway.sandbox.configure(error_rate=1.0, error_status=500)
    answer = gateway.get("/bookform/2")
    assert answer.status == 502 and "retry-after" in answer.headers
    assert answer.json() == {
        "success": False,
        "data": None,
        "meta": {"message": "Altegio is unavailable; retry shortly."},
    }
    assert not gateway.cache_items()


def _dynamodb_down(monkeypatch):
    class Down:
        def __getattr__(self, name):
            def fail(*_a, **_k):
                raise EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")

            return fail

    monkeypatch.setattr(dynamo, "client", lambda: Down())
    monkeypatch.setattr(dynamo, "stamp_client", lambda: Down())  # the budget's client too


def test_dynamodb_failure_degrades_to_a_budgeted_upstream_call(gateway, monkeypatch):
    _dynamodb_down(monkeypatch)
    started = time.monotonic()
    answers = [gateway.get("/book_staff/202") for _ in range(3)]
    assert [(a.status, a.headers["x-cache"]) for a in answers] == [(200, "bypass")] * 3
    calls = [r["arrived"] for r in gateway.upstream()]
    assert len(calls) == 3
    # The local limiter (1/s per container) spaced them, so a DynamoDB outage cannot flood Altegio.
    assert min(b - a for a, b in zip(calls, calls[1:], strict=False)) >= 0.95
    assert time.monotonic() - started < 5


def test_a_bump_with_dynamodb_down_logs_and_the_next_read_still_works(gateway, monkeypatch, caplog):
    dates = "/book_dates/101"
    gateway.get(dates)
    with monkeypatch.context() as down:
        _dynamodb_down(down)
        with caplog.at_level(logging.ERROR):
            assert cache.bump_generation(101, ["2030-01-02"]) == {}  # nothing bumped, nothing raised
        assert "could not bump the availability generation" in caplog.text
    assert gateway.get(dates).headers["x-cache"] == "hit"  # DynamoDB back: the entry was left as it was


def test_oversized_answers_are_served_but_not_stored(gateway, monkeypatch):
    monkeypatch.setattr(cache, "MAX_BODY", 10)
    answer = gateway.get("/i18n/en-US")
    assert answer.status == 200 and answer.headers["x-cache"] == "miss"
    assert not gateway.cache_items()
