"""cache.py: canonical keys, generation keys, Gen; entries, expiry and generations on moto's DynamoDB."""

from __future__ import annotations

import logging

import pytest
from booking_gateway import cache, dynamo
from booking_gateway.errors import Answer
from botocore.exceptions import EndpointConnectionError


# -- keys ----------------------------------------------------------------------------------------------
def test_one_key_whatever_the_order_or_repetition_of_the_query():
    a = cache.cache_key(
        "book_staff", 101, "/book_staff/101", [("service_ids[]", "2"), ("service_ids[]", "1")]
    )
    b = cache.cache_key(
        "book_staff", 101, "/book_staff/101", [("service_ids[]", "1"), ("service_ids[]", "2")] * 2
    )
    assert a == b


@pytest.mark.parametrize(
    ("operation", "location", "path", "query"),
    [
        ("book_staff", 101, "/book_staff/101", [("service_ids[]", "1")]),  # another query
        ("book_staff", 101, "/book_staff/102", []),  # another path
        ("book_dates", 101, "/book_staff/101", []),  # another operation
        ("book_staff", 202, "/book_staff/101", []),  # another location
    ],
)
def test_anything_else_is_another_key(operation, location, path, query):
    assert cache.cache_key(operation, location, path, query) != cache.cache_key(
        "book_staff", 101, "/book_staff/101", []
    )


def test_key_layout_names_operation_and_location():
    assert cache.cache_key("book_times", 101, "/x", []).startswith("c#book_times#101#")
    assert cache.cache_key("bookform", None, "/bookform/1", []).startswith("c#bookform#-#")
    assert len(cache.cache_key("bookform", None, "/bookform/1", []).rsplit("#", 1)[1]) == 32


def test_generation_keys():
    assert cache.generation_keys(None) == ()  # not availability: no generation
    assert cache.generation_keys(101) == ("gen#101", "gen#101#days")
    assert cache.generation_keys(101, "2026-12-01") == ("gen#101", "gen#101#2026-12-01")


def test_gen_starts_at_zero_and_compares_by_value():
    assert cache.Gen() == cache.Gen(0, 0) == (0, 0)
    assert cache.Gen(1, 2) != cache.Gen(2, 1)
    assert cache.Gen(3, 4)._replace(scoped=5) == cache.Gen(location=3, scoped=5)


# -- on DynamoDB -----------------------------------------------------------------------------------------
KEY = cache.cache_key("book_times", 101, "/book_times/101/0/2026-12-01", [])


def test_an_entry_reads_back_as_written_until_its_hard_expiry(ddb, clock):
    now = clock.now()
    cache.write(KEY, '{"data": []}', now, 30, 900, cache.Gen(1, 2), status=200)
    entry, gen = cache.read(KEY, 101, "2026-12-01")
    assert entry.body == '{"data": []}' and entry.gen == cache.Gen(1, 2) and gen == cache.Gen()
    assert entry.fresh_until == pytest.approx(now + 30, abs=1e-3)
    clock.advance(900)  # moto never deletes expired items: the read must not serve them
    assert cache.read(KEY, 101, "2026-12-01")[0] is None


def test_an_older_answer_never_overwrites_a_newer_one(ddb, clock):
    cache.write(KEY, "new", clock.now(), 30, 900, cache.Gen())
    cache.write(KEY, "old", clock.now() - 5, 30, 900, cache.Gen())
    assert cache.read(KEY, 101)[0].body == "new"


def test_a_bump_moves_the_day_and_the_hints_or_the_whole_location(ddb):
    assert cache.bump_generation(101, ["2026-12-02", "2026-12-01", "2026-12-01"]) == {
        "2026-12-01": 1,
        "2026-12-02": 1,
        "days": 1,
    }
    assert cache.read(KEY, 101, "2026-12-01")[1] == cache.Gen(0, 1)
    assert cache.read(KEY, 101, "2026-12-03")[1] == cache.Gen(0, 0)  # another day: untouched
    assert cache.read(KEY, 101)[1] == cache.Gen(0, 1)  # the hints
    assert cache.bump_generation(101) == {}  # the whole location: no scope to note
    assert cache.read(KEY, 101, "2026-12-01")[1] == cache.Gen(1, 1)
    assert cache.read(KEY, 202, "2026-12-01")[1] == cache.Gen()  # another location: untouched


def test_a_bump_with_dynamodb_down_logs_and_returns_nothing(ddb, monkeypatch, caplog):
    real = dynamo.client()

    class Down:
        def update_item(self, **_kw):
            raise EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")

    monkeypatch.setattr(dynamo, "client", lambda: Down())
    with caplog.at_level(logging.ERROR):
        assert cache.bump_generation(101, ["2026-12-01"]) == {}
    assert "could not bump the availability generation" in caplog.text
    monkeypatch.setattr(dynamo, "client", lambda: real)
    assert cache.read(KEY, 101, "2026-12-01")[1] == cache.Gen()  # nothing half-bumped; reads still work


def test_one_lock_holder_until_it_lets_go_or_the_lock_lapses(ddb, clock):
    assert cache.try_lock(KEY, 5) is True
    assert cache.try_lock(KEY, 5) is False
    assert cache.peek(KEY, 101)[2] is True
    cache.unlock(KEY)
    assert cache.peek(KEY, 101)[2] is False and cache.try_lock(KEY, 5) is True
    clock.advance(5.1)  # a crashed holder's lock lapses
    assert cache.try_lock(KEY, 5) is True


def test_a_holder_refused_by_the_budget_lets_go_leaving_the_refusal_for_its_retry_after(ddb, clock):
    assert cache.try_lock(KEY, 5) is True
    refusal = cache.Refusal(Answer(503, "The upstream request budget is spent; retry shortly.", 1), False)
    cache.unlock(KEY, refusal)
    assert cache.peek(KEY, 101)[2:4] == (False, refusal)  # let go, the answer left for the waiters
    assert cache.try_lock(KEY, 5) is True  # the next caller may still take it
    assert cache.peek(KEY, 101)[2:4] == (True, refusal)
    clock.advance(1.01)  # its Retry-After passed: the refusal no longer stands
    assert cache.peek(KEY, 101)[3] is None
    cache.unlock(KEY, cache.Refusal(Answer(503, "x", 30), True))
    clock.advance(cache.REFUSAL_SECONDS + 0.01)  # a long Retry-After stands only REFUSAL_SECONDS
    assert cache.peek(KEY, 101)[3] is None


def test_notes_come_back_in_order_or_not_at_all(ddb):
    cache.note(101, "2026-12-01", 1, "[1]", 60)
    cache.note(101, "2026-12-01", 2, "[2]", 60)
    assert cache.notes(101, "2026-12-01", [2, 1]) == ["[2]", "[1]"]
    assert cache.notes(101, "2026-12-01", [1, 2, 3]) is None  # one missing: none


def test_a_container_reads_each_note_once_and_a_missing_one_again(ddb):
    """Notes never change once written, so every patched answer after the first needs no read."""
    reads: list[list] = []
    dynamo.client().meta.events.register(
        "before-parameter-build.dynamodb.BatchGetItem",
        lambda params, **_: reads.append(
            sorted(k["pk"]["S"] for t in params["RequestItems"].values() for k in t["Keys"])
        ),
    )
    cache.note(101, "2026-12-01", 1, "[1]", 60)
    assert cache.notes(101, "2026-12-01", [1]) == ["[1]"]
    assert cache.notes(101, "2026-12-01", [1]) == ["[1]"]
    assert cache.notes(101, "2026-12-01", [1, 2]) is None  # not yet noted: asked for, not kept
    cache.note(101, "2026-12-01", 2, "[2]", 60)
    assert cache.notes(101, "2026-12-01", [1, 2]) == ["[1]", "[2]"]
    assert reads == [["held#101#2026-12-01#1"], ["held#101#2026-12-01#2"], ["held#101#2026-12-01#2"]]


def test_a_booking_in_flight_rides_on_its_scopes_until_released_or_run_out(ddb, clock):
    cache.write(KEY, '{"data": []}', clock.now(), 30, 900, cache.Gen())
    cache.hold(101, ["2026-12-01", "days"], "t1", "[[1011, 1, 2]]", 10)
    cache.hold(101, ["2026-12-02", "days"], "t2", "[[1012, 3, 4]]", 20)
    assert cache.read(KEY, 101, "2026-12-01")[0].in_flight == ("[[1011, 1, 2]]",)  # its day's
    assert sorted(cache.read(KEY, 101)[0].in_flight) == ["[[1011, 1, 2]]", "[[1012, 3, 4]]"]  # the hints'
    assert cache.read(KEY, 101, "2026-12-03")[0].in_flight == ()  # another day
    cache.release(101, ["2026-12-01", "days"], "t1")
    assert cache.read(KEY, 101, "2026-12-01")[0].in_flight == ()
    assert cache.read(KEY, 101)[0].in_flight == ("[[1012, 3, 4]]",)
    clock.advance(20.1)  # a hold whose release was lost runs out
    assert cache.read(KEY, 101)[0].in_flight == ()
    assert cache.read(KEY, 101)[1] == cache.Gen()  # holding bumps nothing
