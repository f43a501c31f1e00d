"""budget.py's arithmetic: shares of the minute, sliding windows of buckets and slots, the local limiter.
Whole-budget behaviour across threads and processes: tests/gateway/test_gw_budget.py."""

from __future__ import annotations

import pytest
from booking_gateway import budget


@pytest.mark.parametrize(
    ("per_minute", "write", "read", "refresh"),
    [(180, 180, 162, 117), (200, 200, 180, 130), (3, 3, 2, 1)],
)
def test_writes_keep_a_tenth_of_the_minute_and_misses_a_quarter_from_refreshes(
    settings_env, per_minute, write, read, refresh
):
    settings_env(UPSTREAM_PER_MINUTE=per_minute)
    assert [budget._allowance(p) for p in ("write", "read", "refresh")] == [write, read, refresh]


@pytest.mark.parametrize(("wait", "retry_after"), [(0, 1), (0.2, 1), (1.0, 1), (1.01, 2), (59.5, 60)])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(wait, retry_after):
    assert budget.BudgetExhausted(wait).retry_after == retry_after


def test_the_local_limiter_allows_one_call_per_slot_spacing_and_twenty_a_minute():
    local, t = budget._LocalLimiter(), 1000.0
    assert local.wait_time(t) == 0
    assert local.wait_time(t + 0.5) == pytest.approx(budget.SLOT_SPACING - 0.5)
    step = budget.SLOT_SPACING + 1e-9  # a hair over: 1000 + i * 1.1 is not exact in floats
    for i in range(1, 20):
        assert local.wait_time(t + i * step) == 0
    twenty_first = t + 20 * step
    assert local.wait_time(twenty_first) == pytest.approx(t + 60 - twenty_first)  # the first call's minute
    assert local.wait_time(t + 60.01) == 0


def test_the_local_limiter_honours_a_pause():
    local = budget._LocalLimiter()
    local.paused_until = 1010.0
    assert local.wait_time(1000.0) == 10.0
    assert local.wait_time(1010.0) == 0


def test_the_slot_stamp_is_put_ahead_by_the_round_trip_seen_within_bounds():
    assert budget._ahead() == budget.AHEAD_MIN * 1.5  # nothing seen yet
    budget._note_round_trip(0.1)
    assert budget._ahead() == pytest.approx(0.15)
    budget._note_round_trip(10)
    assert budget._ahead() == budget.AHEAD_MAX


def test_refreshes_are_skipped_only_while_the_memo_lasts(clock):
    assert not budget.refresh_spent()
    budget._memo()["refresh"] = clock.now() + budget.REFRESH_MEMO
    assert budget.refresh_spent()
    clock.advance(budget.REFRESH_MEMO)
    assert not budget.refresh_spent()


# -- on moto's DynamoDB, on the fake clock ----------------------------------------------------------------
def test_a_minute_is_any_sixty_seconds_counted_in_buckets(ddb, clock):
    start = (clock.now() // budget.BUCKET + 1) * budget.BUCKET  # a bucket's first instant
    assert [budget._count_minute(3, start + i) for i in range(3)] == [None] * 3
    # Spent: the wait is until the current bucket ends, however far the counted calls are behind.
    assert budget._count_minute(3, start + 3) == pytest.approx(budget.BUCKET - 3)
    assert budget._count_minute(3, start + 60) == pytest.approx(budget.BUCKET)  # still within reach
    assert budget._count_minute(3, start + 60 + budget.BUCKET) is None  # that bucket fell out


def test_a_given_back_count_frees_its_place(ddb, clock):
    now = clock.now()
    assert budget._count_minute(1, now) is None
    assert budget._count_minute(1, now) is not None
    budget._uncount_minute(now)
    assert budget._count_minute(1, now) is None


def test_each_second_has_as_many_calls_as_slots_and_a_freed_slot_serves_a_read_at_once(
    ddb, clock, settings_env
):
    """Nobody else waiting, a read takes a slot the moment it frees: the writes' priority is the waiting
    turns' marks (below), not a pause after every call (which left reads ~3 of 4 slots a second)."""
    settings_env(UPSTREAM_PER_SECOND=2)
    stamps = [budget.acquire("read", wait_max=0) for _ in range(2)]
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("read", wait_max=0)
    clock.advance(budget.SLOT_SPACING)
    assert budget.acquire("read", wait_max=0) >= min(stamps) + budget.SLOT_SPACING - 1e-3
    assert budget.acquire("write", wait_max=0) >= min(stamps) + budget.SLOT_SPACING - 1e-3
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("write", wait_max=0)


def test_a_write_that_came_later_still_gets_the_freed_slot_before_a_waiting_read(ddb, clock, settings_env):
    settings_env(UPSTREAM_PER_SECOND=1)
    first = budget.acquire("read", wait_max=0)
    read, write = clock.run_together(  # the read waits first, the write comes after it
        lambda: budget.acquire("read", wait_max=4), lambda: budget.acquire("write", wait_max=4)
    )
    assert first + budget.SLOT_SPACING - 1e-3 <= write < first + budget.SLOT_SPACING + 0.1
    assert read >= write + budget.SLOT_SPACING - 1e-3  # the next turn of the one slot


def test_waiting_misses_go_out_in_the_order_they_came_and_before_refreshes(ddb, clock, settings_env):
    """Each waiting turn marks the slot it waits for; a later miss, or a refresh (a copy stands in for it),
    leaves a marked slot alone. So a miss's wait is its place in the queue, not a lottery at every
    freeing (which left some misses waiting out BUDGET_WAIT_SECONDS while younger ones went out)."""
    settings_env(UPSTREAM_PER_SECOND=1)
    budget.acquire("read", wait_max=0)
    order: list[str] = []

    def asks(name: str, priority: str, after: float):
        def ask():
            clock.sleep(after)
            budget.acquire(priority, wait_max=5)
            order.append(name)

        return ask

    clock.run_together(
        asks("refresh", "refresh", 0.0),
        asks("miss 1", "read", 0.1),
        asks("miss 2", "read", 0.2),
        asks("miss 3", "read", 0.3),
    )
    assert order == ["miss 1", "miss 2", "miss 3", "refresh"]


def test_a_refresh_refused_for_want_of_a_slot_skips_the_next_refreshes_for_a_moment(ddb, clock, settings_env):
    """Every slot went to misses within the refresh's wait: the next refreshes in this container serve
    their copy without asking (no lock, no count, no look) until REFRESH_MEMO has passed; misses still ask."""
    settings_env(UPSTREAM_PER_SECOND=1)
    budget.acquire("read", wait_max=0)
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("refresh", wait_max=0.5)
    assert budget.refresh_spent()
    clock.advance(budget.REFRESH_MEMO)
    assert not budget.refresh_spent()


def test_a_pause_holds_every_slot_until_it_ends(ddb, clock):
    budget.pause(3)
    started = clock.monotonic()
    budget.acquire("write", wait_max=5)  # waits on the fake clock: no real time passes
    assert clock.monotonic() - started >= 3 - budget.AHEAD_MAX


# -- the send: a turn must still hold when the request is written ------------------------------------------
def _send_on(turn: budget.Turn, clock, write_lag: float = 0.0) -> float:
    """What the client's connection does around one request (altegio_client._OnTurn); returns when
    Altegio sees it. `write_lag`: the process descheduled between the check and the write."""
    budget.sending(turn)
    clock.advance(write_lag)
    at = clock.now()
    budget.sent(turn, at)
    return at


def _busiest_second(times: list[float]) -> int:
    return max(sum(1 for t in times if a <= t < a + 1.0) for a in times)


def test_a_held_slot_is_nobody_elses_until_its_send_is_known(ddb, clock, settings_env):
    """A turn's slot is held from its taking until sent(): a call written late (descheduled after
    sending()) is known to be out before the slot goes to anyone else, who then keeps SLOT_SPACING from
    the send, not from the grant."""
    settings_env(UPSTREAM_PER_SECOND=1)
    turn = budget.take("write", wait_max=0)
    budget.sending(turn)
    clock.advance(0.3)  # descheduled before the write
    at = clock.now()
    clock.advance(budget.SLOT_SPACING)  # and before sent(): the slot would be free by its stamp
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("write", wait_max=0)
    budget.sent(turn, at)
    assert budget.acquire("write", wait_max=1) >= at + budget.SLOT_SPACING - 1e-3


def test_a_hold_never_confirmed_ends_by_itself(ddb, clock, settings_env):
    """A container gone between its turn and sent() (a crash, a timeout) holds its slot HOLD at most."""
    settings_env(UPSTREAM_PER_SECOND=1)
    stamp = budget.take("write", wait_max=0).stamp
    clock.advance(budget.HOLD + budget.SLOT_SPACING - 0.1)
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("write", wait_max=0)
    clock.advance(0.1)
    assert budget.acquire("write", wait_max=0) >= stamp + budget.HOLD + budget.SLOT_SPACING - 1e-3


def test_a_turn_gone_stale_before_the_send_is_taken_again(ddb, clock, settings_env):
    """Descheduled between taking the slot and the send for over SEND_LATE (the clock moved): its hold
    could end before the write, so the call goes out on a new slot, and the old one is let go."""
    settings_env(UPSTREAM_PER_SECOND=1)
    first = budget.take("write", wait_max=5)
    clock.advance(budget.SEND_LATE + 0.1)  # descheduled
    seen = [_send_on(first, clock)]
    assert first.stamp >= seen[0] - budget.MAX_SEND_LAG  # the turn it went out on is a fresh one
    for _ in range(3):
        seen.append(_send_on(budget.take("write", wait_max=5), clock))
    assert _busiest_second(seen) == 1, seen


def test_a_write_that_lagged_its_check_stamps_the_slot_with_when_it_went_out(ddb, clock, settings_env):
    settings_env(UPSTREAM_PER_SECOND=1)
    seen = [_send_on(budget.take("write", wait_max=5), clock, write_lag=0.4)]  # e.g. a new TLS handshake
    seen.append(_send_on(budget.take("write", wait_max=5), clock))
    assert seen[1] - seen[0] >= budget.SLOT_SPACING - budget.MAX_SEND_LAG, seen


def test_a_turn_that_cannot_be_taken_again_in_time_is_not_sent(ddb, clock, settings_env):
    settings_env(UPSTREAM_PER_SECOND=1)
    turn = budget.take("write", wait_max=0.2)
    clock.advance(budget.SEND_LATE + 0.1)
    with pytest.raises(budget.BudgetExhausted) as refused:
        budget.sending(turn)  # the only slot is its own stale one, free only after the deadline
    assert refused.value.shared is False  # this caller's starved CPU, not the budget's state
    assert turn.counted_at is None  # its count in the minute was given back


# -- the warmer: lowest priority, it yields to visitors ---------------------------------------------------
def test_the_warmer_counts_only_while_the_minute_is_mostly_unused(ddb, clock, settings_env):
    """It spends what visitors leave: once everyone's calls reach WARM_UNTIL of the minute it is refused,
    while reads (and writes) still have the rest."""
    settings_env(UPSTREAM_PER_MINUTE=20)
    assert budget._allowance("warm") == 8 < budget._allowance("refresh")
    for _ in range(8):
        budget.acquire("read")  # visitors' reads (the fake clock passes the per-second waits)
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("warm")
    assert budget.acquire("read") and budget.acquire("write")


def test_while_nobody_else_called_in_the_minute_the_warmer_may_spend_more_of_it(ddb, clock, settings_env):
    """Before the first visitor (after a deploy or a start) it fills more; a visitor then still finds the
    rest of the reads at once, and from then on the warmer has its share again."""
    settings_env(UPSTREAM_PER_MINUTE=20)
    idle = int(20 * budget.WARM_IDLE_UNTIL)
    assert budget._allowance("warm") == 8 < idle < budget._allowance("read") == 18
    for _ in range(idle):
        budget.acquire("warm")  # the fake clock passes the per-second waits
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("warm")
    for _ in range(18 - idle):
        budget.acquire("read")
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("read")
    clock.advance(60 + budget.BUCKET)  # all of it out of the sliding minute
    budget.acquire("read")  # a visitor within the minute: the warmer counts only up to WARM_UNTIL
    for _ in range(7):
        budget.acquire("warm")
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("warm")


def test_a_given_back_warm_count_is_taken_off_the_warmers_own_count_too(ddb, clock):
    now = clock.now()
    bucket = int(now // budget.BUCKET)

    def only_warmer() -> bool:
        got = ddb.get_item(TableName=budget._table(), Key={"pk": {"S": f"min#{bucket}"}}, ConsistentRead=True)
        return budget._only_warmer({f"min#{bucket}": got.get("Item", {})}, range(bucket, bucket + 1))

    assert budget._count_minute(5, now, warm=True) is None
    budget._uncount_minute(now, warm=True)
    assert only_warmer()
    assert budget._count_minute(5, now) is None  # anyone else's call
    assert not only_warmer()


def test_a_freed_slot_goes_to_a_waiting_read_before_the_warmer(ddb, clock, settings_env):
    settings_env(UPSTREAM_PER_SECOND=1)
    budget.acquire("write", wait_max=0)
    clock.advance(budget.SLOT_SPACING + 0.01)  # a read may take the slot, the warmer not yet
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("warm", wait_max=0)
    assert budget.acquire("read", wait_max=0)
    clock.advance(budget.SLOT_SPACING + budget.WARM_DEFER + 0.01)  # nobody wanted it meanwhile: the warmer's
    assert budget.acquire("warm", wait_max=0)


# -- the fair share per caller class ----------------------------------------------------------------------
def _as(key_id: str | None) -> None:
    from booking_gateway import caller

    caller.bind({"requestContext": {"identity": {"apiKeyId": key_id, "sourceIp": "192.0.2.1"}}})


def _reads_until_refused(limit: int = 100) -> int:
    for n in range(limit):
        try:
            budget.acquire("read")  # the fake clock passes the per-second waits at once
        except budget.BudgetExhausted:
            return n
    return limit


def test_one_class_alone_takes_its_alone_share_of_the_reads_and_others_still_get_theirs(
    ddb, clock, settings_env
):
    settings_env(UPSTREAM_PER_MINUTE=20, UPSTREAM_PER_SECOND=5, PAGE_API_KEY_ID="pagekey001")
    assert budget._allowance("read") == 18
    _as("pagekey001")
    assert _reads_until_refused() == int(18 * 0.85)  # 15: the 16th is refused though the minute has room
    _as("partner01")
    assert _reads_until_refused() == 3  # the rest of the minute's reads
    _as("pagekey001")
    assert _reads_until_refused() == 0
    _as("partner01")
    assert budget.acquire("write", wait_max=5)  # writes keep their share whoever read


def test_while_another_class_reads_each_takes_at_most_its_share(ddb, clock, settings_env):
    settings_env(UPSTREAM_PER_MINUTE=20, UPSTREAM_PER_SECOND=5, PAGE_API_KEY_ID="pagekey001")
    _as("partner01")
    budget.acquire("read")  # a partner read within the minute: the page's share is the shared one
    _as("pagekey001")
    assert _reads_until_refused() == 9  # half of the 18 reads
    _as("partner01")
    assert _reads_until_refused() == 8  # its own half, less the read it made first
    clock.advance(60 + budget.BUCKET)  # the minute is over: the page is alone again
    _as("pagekey001")
    assert _reads_until_refused() == 15


def test_a_share_refused_read_leaves_everyones_minute_untouched(ddb, clock, settings_env):
    settings_env(UPSTREAM_PER_MINUTE=20, UPSTREAM_PER_SECOND=5, CALLER_READ_SHARE_ALONE=0.1)
    _as("partner02")
    assert _reads_until_refused() == 1
    with pytest.raises(budget.BudgetExhausted) as refused:
        budget.acquire("read")
    assert refused.value.shared is False  # its own share: other callers waiting on its lock may still ask
    bucket = int(clock.now() // budget.BUCKET)
    item = ddb.get_item(TableName="UnitBudgetTable", Key={"pk": {"S": f"min#{bucket}"}})["Item"]
    assert item["n"]["N"] == "1" and item["cls"]["SS"] == ["key:partner02"]
    assert budget.refresh_spent() is False


def test_callers_without_a_key_have_no_class_and_no_share(ddb, clock, settings_env):
    settings_env(UPSTREAM_PER_MINUTE=20, UPSTREAM_PER_SECOND=5, CALLER_READ_SHARE_ALONE=0.1)
    _as(None)
    assert _reads_until_refused() == 18
