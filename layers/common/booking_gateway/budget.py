"""The upstream budget every function shares, so Altegio (5/s, 200/min per IP) never sees more.

One take() = the minute first, then a second-slot (so the slot is the last step before the send), then
sending() right before the request is written and sent() right after (the client's connection calls them):
- Per minute: 5-second bucket counters (`min#<epoch//5>`, ADD n). A call is admitted only while the
  current bucket plus the twelve before it (any sliding minute lies within thirteen buckets) stay within
  the minute's allowance; the increment is conditional, so concurrent callers cannot overshoot.
- Per second: a ring of `per_second` slot items (`sec#<i>`, t = when last used). A slot is taken by a
  conditional write only when its t is over SLOT_SPACING (1.1 s) old, so no sliding second holds more
  calls than there are slots, whichever container sends them (Altegio counts sliding windows; fixed
  one-second counters would let two halves add up to twice the limit). The stamp says when the call
  will go out: the slot write's round trip ahead, as this container has lately seen it, and the caller
  is held until then; if the write was slower than foreseen, the stamp is moved to when the call can
  go out. So the slot's next user keeps its distance from the actual send, however slow DynamoDB or
  the container is (throttled writes are retried here with a fresh stamp, never by botocore).
- The send itself: a slot is held (`h`) from its taking until sent() says when the request was written
  (its t moved there if that lagged the stamp by over MAX_SEND_LAG; one more write per call), HOLD after
  the stamp at the latest; nobody takes a held slot. So however late a send (a starved CPU between
  sending() and the write, a slow or throttled table), the slot's next call keeps SLOT_SPACING from the
  send, not from the grant (until 2026-12-06 a late send was corrected only after the fact, and a
  correction landing after the slot was granted again put two of its calls into one second: 6 in a
  second under two CPU hogs; tests/unit/test_budget_throughput.py). sending() lets a turn go until
  SEND_LATE after its stamp and takes a new one after that, so the write may lag the check by up to
  HOLD - SEND_LATE. The minute counts grants: sends lag them by HOLD at most, 8 calls of 4 slots, which
  the 180 a minute (Altegio: 200) absorb.
- Priority and order: a turn that must wait marks the earliest slot it may wait for (`w` until when, `wr`
  its rank: write > miss > refresh > warm, `ws` since when it waits). A marked slot goes only to its
  marker or a turn before it (higher rank, or the same and waiting longer); a turn that takes a marked slot
  from a later one moves that one's mark to the next slot, so the marks are the waiters' queue, kept on
  the slots themselves, and the marker is woken when its slot frees and stamped right then. So a waiting
  booking gets the next slot, waiting misses go out in the order they came and before refreshes (a copy
  can stand in for those), and nobody else waiting, a read takes a slot the moment it frees: reads use
  all four slots a second (until 2026-12-06 every freed slot was kept from reads for 0.3 s, which left
  them at most 4 / 1.35 s, and waiters won a freed slot by lottery, so some waited out their 6 s while
  younger ones went out: tests/unit/test_budget_throughput.py). Reads also leave a tenth of the minute to
  writes, and refreshes of copies that can stand in (stale served instead) leave a further quarter to
  misses. The warmer (warmer.py) is lowest: it counts only while the minute is at most WARM_UNTIL spent and
  takes a slot only after WARM_DEFER, so it spends what visitors leave and never a slot a miss or a write
  is waiting for. While nobody but the warmer has called within the sliding minute (before the first
  visitor after a deploy or a start), it may spend up to WARM_IDLE_UNTIL: visitors arriving lose nothing
  over their first minute (its calls age out of the window by then, so their first minute still holds all
  the reads), only some room in its first seconds, when the copies it filled answer them. Its calls are
  also counted in the bucket's `w`, so "nobody else" is n == w.
- The queue: only as many turns as there are slots mark them; a turn with that many or more before it
  (marks and queue entries, in the marks' order) puts itself in one item (`queue`, an attribute per turn
  until its deadline) and sleeps until the slot before its round frees, instead of looking whenever a
  slot frees and taking over younger turns' marks (one write to join, one to leave: 12.2 and 18.4 table
  calls a call sent with 12 and 40 waiting, 15.9 and 46.1 before; tests/unit/test_budget_throughput.py).
  It only says when to look: the slots' conditional writes still decide who sends.
- Fair share: reads are also counted per caller class (the page, each partner key: caller.py) in buckets
  of their own (`min#<class>#<epoch//5>`). A class's reads may take at most CALLER_READ_SHARE of the
  minute's reads while another class has read within the minute (each bucket notes the classes that read
  in it), CALLER_READ_SHARE_ALONE otherwise, so a flood from one caller always leaves the rest to the
  others; writes are not capped by class (they keep their own share and the slots' priority).
- Altegio's 429: `pause(seconds)` pushes every slot's t forward, so no container sends anything until
  Retry-After has passed (one write per slot, nothing extra on the normal path).
- DynamoDB failing: a conservative in-process limiter (1/s, 20/min per container) takes over; requests
  are slowed, never failed. Throttling is waited out first (THROTTLE_PATIENCE): the local limiter cannot
  see the other containers, so it is only for a table that is really gone.
"""

from __future__ import annotations

import contextlib
import random
import threading
from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from . import caller, clock, container, dynamo
from .errors import BudgetExhausted  # the budget's refusal, in the layer's one vocabulary (errors.py)
from .observability import count, logger
from .settings import get_settings

Priority = Literal["warm", "refresh", "read", "write"]
SLOT_SPACING = 1.1  # a slot's sends >= 1.05 s apart (MAX_SEND_LAG): 50 ms for the way to Altegio
STAMP_SLACK = 0.02  # a slot taken slower than foreseen by this is stamped again with the time it goes out
HOLD = 2.0  # a slot whose call sent() has not confirmed is nobody else's until this long after its stamp
SEND_LATE = 0.5  # a turn goes out at most this long after its stamp (the rest of HOLD is for the write)
HELD_POLL = 0.2  # a slot due to free but still held (its send not yet confirmed) is looked at this often
AHEAD_MIN, AHEAD_MAX = 0.01, 0.5  # how far ahead a slot's stamp is put (its write's round trip, foreseen)
MAX_SEND_LAG = 0.05  # a send later than this after its stamp moves the slot's t to it
BUCKET = 5  # seconds per minute-bucket: the checked span is 60 s to 60 + BUCKET, so finer admits more
WINDOW_BUCKETS = 60 // BUCKET  # buckets before the current one that a sliding minute can still reach
WRITE_SHARE = 0.1  # of the minute, kept for writes
MISS_SHARE = 0.25  # of the minute, kept from refreshes (a stale copy can stand in) for misses (none can)
MARK_GRACE = 0.3  # a waiting turn's mark on its slot holds this long past the slot's freeing (its wake-up)
MIN_POLL = 0.02  # a turn with every slot marked by turns before it looks again after at least this
RANKS = {"warm": 0, "refresh": 1, "read": 2, "write": 3}  # who goes first: writes, misses, refreshes, warmer
# A turn may take (or mark) a slot unless a live mark on it is of a turn before it: higher priority, or the
# same and waiting longer (marks are the waiters' queue, kept on the slots themselves).
_MAY_USE = "(attribute_not_exists(w) OR w < :now OR wr < :rank OR (wr = :rank AND ws >= :since))"
# Free: its last call SLOT_SPACING (+ defer) before :free's, and known to be out (no hold, or one ended).
_FREE = "(attribute_not_exists(t) OR t <= :free) AND (attribute_not_exists(h) OR h <= :free)"
WARM_UNTIL = 0.4  # of the minute: the warmer counts only while everyone's calls stay below this
WARM_DEFER = 0.8  # a freed slot waits this long for a visitor before the warmer takes it
WARM_IDLE_UNTIL = 0.75  # ... and while only it called within the minute (before the first visitor)
THROTTLE_RETRIES = 4  # a throttled budget write is tried again (fresh stamp) before the local limiter
THROTTLE_PATIENCE = 1.5  # seconds of a throttled budget table waited out before the local limiter
RETAKES = 3  # a turn gone stale (SEND_LATE) before its send is taken again at most this often
# The turns waiting beyond the slots' marks (one attribute each: rank, since, until), so each sleeps until
# its round instead of looking whenever a slot frees (the looks grew with the waiters: 47 calls a call sent
# with 40 waiting).
QUEUE_KEY = {"pk": {"S": "queue"}}
QUEUE_CLEANUP = 20  # ended turns' entries dropped by one join at most


# When this container last found the minute, or the slots within a refresh's wait, spent for refreshes:
# until then, refreshes are not tried (a copy stands in without a lock, a budget read and a refused
# count). Capped: buckets free every BUCKET, slots every SLOT_SPACING.
REFRESH_MEMO = 1.0


def _memo() -> dict[str, float]:
    """This container's memory of the shared budget."""
    return container.get("budget.memo", dict)


def refresh_spent() -> bool:
    """Did this container find the minute spent for refreshes (of everyone, or of this caller's class) less
    than REFRESH_MEMO ago?"""
    memo, now = _memo(), clock.now()
    return now < memo.get("refresh", 0.0) or now < memo.get(f"refresh:{_class()}", 0.0)


def _class() -> str | None:
    """The caller class whose reads count towards a share; None for callers without one (no key)."""
    klass = caller.current().klass
    return None if klass == caller.ANONYMOUS else klass


def _table() -> str:
    return get_settings().budget_table


def _take_slot(turn: Turn, slots: list[int], defer: float) -> tuple[tuple[float, dict] | None, float]:
    """Take one per-second slot free for `defer` seconds past SLOT_SPACING and not waited for by a turn
    before this one: ((its stamp, its key), 0) on success, else (None, seconds until this turn should try
    again). A turn that must wait marks the earliest slot it may wait for (_mark), so the slot goes to it
    when it frees, and tries that slot first when it wakes."""
    if turn.target is None:
        return _look(turn, slots, defer)
    # Woke for the slot it marked: straight to it, no look first.
    (target, free_at), turn.target = turn.target, None
    taken = _try_slot(turn, target, defer, free_at)
    if taken is not None:
        return taken, 0.0
    found = _look(turn, slots, defer)  # still held, or moved later by its last call's late send
    if found[0] is None and (turn.target is None or turn.target[0] != target):
        _unmark(turn, target)  # it waits for another one: the next in line may have this
    return found


def _look(turn: Turn, slots: list[int], defer: float) -> tuple[tuple[float, dict] | None, float]:
    """_take_slot after a look at every slot: the earliest free one this turn may use, else a mark."""
    items, waiting = _slot_items(slots)
    now = clock.now()
    stamp = now + _ahead()
    frees = {slot: _free_at(items.get(slot, {}), defer, stamp) for slot in slots}
    order = sorted(slots, key=lambda s: (frees[s], random.random()))
    ahead = _ahead_count(turn, items, waiting, now)
    earliest: float | None = None
    for slot in order:
        item, free_at = items.get(slot, {}), frees[slot]
        earliest = free_at if earliest is None else min(earliest, free_at)
        if not _may_use(turn, item, now):
            continue  # a turn before this one (a write, or an older miss) waits for it
        if free_at <= stamp:
            taken = _try_slot(turn, slot, defer)
            if taken is not None:
                return taken, 0.0
            continue  # someone was quicker: the next one
        if ahead >= len(slots):
            break  # the turns before it wait for the next freed slots: no mark to be taken over
        wait = free_at - stamp
        if clock.monotonic() + wait > turn.deadline:
            return None, wait  # it would not wait that long: no mark to hold others back for nothing
        if _mark_queue(turn, slot, items, order, defer, stamp):
            turn.target = slot, free_at
            return None, max(0.0, free_at - clock.now() - _ahead())
    # Every slot is waited for by turns before this one: in the queue, look again when its round comes.
    _join(turn, waiting, now)
    rounds, nth = divmod(ahead, len(slots))
    wake = sorted(frees.values())[nth] + (rounds - 1) * SLOT_SPACING if rounds else earliest
    wait = (wake if wake is not None else stamp) - clock.now() - _ahead()
    return None, max(MIN_POLL, _ahead(), wait)


def _ahead_count(turn: Turn, items: dict[int, dict], waiting: dict[str, tuple], now: float) -> int:
    """How many turns wait before this one: live marks on the slots and the queue's live entries (a turn
    may be in both), of higher rank, or the same and waiting longer."""
    mine = (RANKS[turn.priority], _stored(turn.since))
    turns = {(rank, since) for rank, since, until in waiting.values() if until >= now}
    turns |= {
        (int(dynamo.num(item, "wr")), dynamo.num(item, "ws"))
        for item in items.values()
        if dynamo.num(item, "w", 0.0) >= now
    }
    return sum(1 for rank, since in turns if rank > mine[0] or (rank == mine[0] and since < mine[1]))


def _join(turn: Turn, waiting: dict[str, tuple], now: float) -> None:
    """Put the turn in the queue (once; until its deadline), dropping entries whose turns have ended.
    Never raises: a turn not in it only counts for fewer of those behind it."""
    if turn.queued:
        return
    name = f"q{random.getrandbits(40):x}"
    dead = [key for key, (_, _, until) in waiting.items() if until < now][:QUEUE_CLEANUP]
    until = now + max(0.0, turn.deadline - clock.monotonic())
    with contextlib.suppress(ClientError, BotoCoreError):
        dynamo.stamp_client().update_item(
            TableName=_table(),
            Key=QUEUE_KEY,
            UpdateExpression="SET #me = :me, expires_at = :exp"
            + (" REMOVE " + ", ".join(f"#d{i}" for i in range(len(dead))) if dead else ""),
            ExpressionAttributeNames={"#me": name, **{f"#d{i}": key for i, key in enumerate(dead)}},
            ExpressionAttributeValues={
                ":me": {"L": [dynamo.n(RANKS[turn.priority]), dynamo.n(turn.since), dynamo.n(until)]},
                ":exp": dynamo.n(int(until) + 3600),
            },
        )
        turn.queued = name


def _leave(turn: Turn) -> None:
    """Take the turn out of the queue (it has its slot, or gave up). Never raises: an entry left ends with
    the turn's deadline."""
    if not turn.queued:
        return
    with contextlib.suppress(ClientError, BotoCoreError):
        dynamo.stamp_client().update_item(
            TableName=_table(),
            Key=QUEUE_KEY,
            UpdateExpression="REMOVE #me",
            ExpressionAttributeNames={"#me": turn.queued},
        )
    turn.queued = None


def _rank_values(turn: Turn) -> dict:
    return {
        ":now": dynamo.n(clock.now()),
        ":rank": dynamo.n(RANKS[turn.priority]),
        ":since": dynamo.n(turn.since),
    }


def _may_use(turn: Turn, item: dict, now: float) -> bool:
    """No live mark on the slot, or one of a turn not before this one (what _MAY_USE says to DynamoDB)."""
    if dynamo.num(item, "w", 0.0) < now:
        return True
    rank, mine = dynamo.num(item, "wr", 0.0), RANKS[turn.priority]
    return rank < mine or (rank == mine and dynamo.num(item, "ws", 0.0) >= _stored(turn.since))


def _stored(value: float) -> float:
    return float(dynamo.n(value)["N"])


def _slot_items(slots: list[int]) -> tuple[dict[int, dict], dict[str, tuple]]:
    """Every slot item as it is now, and the queue's entries (one consistent read): whose turn is next and
    when each slot frees."""
    table = _table()
    keys = [{"pk": dynamo.s(f"sec#{slot}")} for slot in slots] + [QUEUE_KEY]
    got = _retried(
        dynamo.stamp_client().batch_get_item, RequestItems={table: {"Keys": keys, "ConsistentRead": True}}
    )
    items = {i["pk"]["S"]: i for i in got["Responses"].get(table, [])}
    queue = items.pop(QUEUE_KEY["pk"]["S"], {})
    waiting = {
        key: tuple(float(v["N"]) for v in value["L"]) for key, value in queue.items() if key.startswith("q")
    }
    return {int(pk[4:]): item for pk, item in items.items()}, waiting


def _retried(call, **kwargs):
    """A budget table call, tried again (briefly) while throttled; its round trip noted for _ahead."""
    for attempt in range(THROTTLE_RETRIES + 1):
        sent_at = clock.monotonic()
        try:
            return call(**kwargs)
        except ClientError as exc:
            if not dynamo.throttled(exc) or attempt == THROTTLE_RETRIES:
                raise
            clock.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        finally:
            _note_round_trip(clock.monotonic() - sent_at)
    return None  # not reached


def _try_slot(turn: Turn, slot: int, defer: float, free_at: float = 0.0) -> tuple[float, dict] | None:
    """Take and hold `slot` if it is free for `defer` past SLOT_SPACING (its last call known to be out, or
    its hold over) and no turn before this one waits for it (clearing any mark: a mark's owner that finds
    its slot gone marks another); None if not. `free_at`: when the slot was seen to free, so a turn woken
    for it a little early (the round trip foreseen has changed meanwhile) is stamped then, not refused."""
    key = {"pk": dynamo.s(f"sec#{slot}")}
    # Stamped with when the call will go out: after this write's round trip, foreseen.
    stamp = max(clock.now() + _ahead(), free_at + 1e-4)
    try:
        _retried(
            dynamo.stamp_client().update_item,
            TableName=_table(),
            Key=key,
            UpdateExpression="SET t = :stamp, h = :hold, expires_at = :exp REMOVE w, wr, ws",
            ConditionExpression=f"{_FREE} AND {_MAY_USE}",
            ExpressionAttributeValues={
                ":stamp": dynamo.n(stamp),
                ":hold": dynamo.n(_hold(stamp)),
                ":free": dynamo.n(stamp - SLOT_SPACING - defer),
                ":exp": dynamo.n(int(stamp) + 3600),
                **_rank_values(turn),
            },
        )
    except ClientError as exc:
        if not dynamo.conditional_failed(exc):
            raise
        return None
    return stamp, key


def _mark(who: tuple[int, float], slot: int, free_at: float) -> tuple[bool, tuple[int, float] | None]:
    """Note on `slot` that the turn `who` (its rank, since when it waits) waits for it, unless a turn before
    it already does: turns after it (lower priority, or the same and younger) leave the slot alone until
    MARK_GRACE after it frees. Returns (marked, the live mark it replaced, of a turn after it, if any)."""
    rank, since = who
    try:
        got = _retried(
            dynamo.stamp_client().update_item,
            TableName=_table(),
            Key={"pk": dynamo.s(f"sec#{slot}")},
            UpdateExpression="SET w = :until, wr = :rank, ws = :since",
            ConditionExpression=_MAY_USE,
            ExpressionAttributeValues={
                ":until": dynamo.n(free_at + MARK_GRACE),
                ":now": dynamo.n(clock.now()),
                ":rank": dynamo.n(rank),
                ":since": dynamo.n(since),
            },
            ReturnValues="ALL_OLD",
        )
    except ClientError as exc:
        if not dynamo.conditional_failed(exc):
            raise
        return False, None
    old = (got or {}).get("Attributes", {})
    replaced = (int(dynamo.num(old, "wr")), dynamo.num(old, "ws"))
    live = dynamo.num(old, "w", 0.0) >= clock.now() and replaced != (rank, _stored(since))
    return True, replaced if live else None


def _unmark(turn: Turn, slot: int) -> None:
    """Take the turn's own mark off `slot`. Never raises: a mark left ends by itself (MARK_GRACE)."""
    with contextlib.suppress(ClientError, BotoCoreError):
        dynamo.stamp_client().update_item(
            TableName=_table(),
            Key={"pk": dynamo.s(f"sec#{slot}")},
            UpdateExpression="REMOVE w, wr, ws",
            ConditionExpression="wr = :rank AND ws = :since",
            ExpressionAttributeValues={
                ":rank": dynamo.n(RANKS[turn.priority]),
                ":since": dynamo.n(turn.since),
            },
        )


def _mark_queue(
    turn: Turn, slot: int, items: dict[int, dict], order: list[int], defer: float, stamp: float
) -> bool:
    """Mark `slot` for `turn`; a turn after it whose mark this replaces is moved to the next slot it may
    hold (and so on down the queue), so it still goes out in its place rather than a round later, when it
    wakes for the slot it lost and finds its mark elsewhere. Only while that leaves this turn time for its
    own slot: a displaced turn that wakes to find its slot gone marks another itself."""
    free_at = _free_at(items.get(slot, {}), defer, stamp)
    marked, displaced = _mark((RANKS[turn.priority], turn.since), slot, free_at)
    if not marked:
        return False
    rest = [s for s in order if s != slot]
    while displaced is not None and rest and clock.now() + _ahead() < free_at:
        other = rest.pop(0)
        other_defer = WARM_DEFER if displaced[0] == RANKS["warm"] else 0.0
        moved, next_displaced = _mark(displaced, other, _free_at(items.get(other, {}), other_defer, stamp))
        if moved:
            displaced = next_displaced
    return True


def _free_at(item: dict, defer: float, stamp: float) -> float:
    """When the slot `item` frees for a turn that would go out at `stamp`: SLOT_SPACING (+ `defer`) after its
    last call. A held slot due by then waits for its send to be confirmed (looked at again HELD_POLL on),
    and for its hold's end at the latest."""
    free_at = dynamo.num(item, "t", 0.0) + SLOT_SPACING + defer
    if "h" in item:
        ends = dynamo.num(item, "h") + SLOT_SPACING + defer
        free_at = max(free_at, min(ends, stamp + HELD_POLL))
    return free_at


def _hold(stamp: float) -> float:
    return stamp + HOLD


def _ahead() -> float:
    """How long a slot write takes here lately, with room: the stamp is that far in the future."""
    return min(AHEAD_MAX, max(AHEAD_MIN, 1.5 * _memo().get("round_trip", AHEAD_MIN)))


def _note_round_trip(seconds: float) -> None:
    memo = _memo()
    memo["round_trip"] = max(seconds, 0.7 * memo.get("round_trip", seconds) + 0.3 * seconds)


def _when_due(key: dict, stamp: float) -> float:
    """Hold the call until its stamp, so Altegio sees it when the slot says. If the write took longer than
    foreseen, move the stamp to when the call can now go out, so the slot's next user still keeps a full
    SLOT_SPACING from the actual send (nobody else may take the slot before stamp + SLOT_SPACING)."""
    if clock.now() - stamp > STAMP_SLACK:
        later = clock.now() + _ahead()
        try:
            dynamo.stamp_client().update_item(
                TableName=_table(),
                Key=key,
                UpdateExpression="SET t = :later, h = :hold",
                ConditionExpression="t = :mine",  # unless a pause moved it meanwhile
                ExpressionAttributeValues={
                    ":later": dynamo.n(later),
                    ":hold": dynamo.n(_hold(later)),
                    ":mine": dynamo.n(stamp),
                },
            )
            stamp = later
        except (ClientError, BotoCoreError):
            return stamp  # counted as a late send by the caller
    early = stamp - clock.now()
    if early > 0:
        clock.sleep(early)
    return stamp


def _take_minute(allowance: int, now: float, klass: str | None = None, warm: bool = False) -> float | None:
    """_count_minute, retried on throttling: a throttled table must not push calls to the local limiter,
    which cannot see the other containers."""
    for attempt in range(THROTTLE_RETRIES + 1):
        try:
            return _count_minute(allowance, now, klass, warm)
        except ClientError as exc:
            if not dynamo.throttled(exc) or attempt == THROTTLE_RETRIES:
                raise
            clock.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    return None  # not reached


class ShareSpent(Exception):
    """This caller class has taken its share of the minute's reads (others' calls still go out)."""

    def __init__(self, wait: float) -> None:
        super().__init__("this caller's share of the upstream budget for this minute is spent")
        self.wait = wait


def _count_minute(allowance: int, now: float, klass: str | None = None, warm: bool = False) -> float | None:
    """Count one call in the current bucket; None on success, else seconds until a bucket frees. With a
    caller class (reads), the call is counted in the class's buckets first: ShareSpent when they are full.
    `warm`: the warmer's call, counted in `w` too; WARM_IDLE_UNTIL is its allowance while only it called."""
    bucket = int(now // BUCKET)
    client, table = dynamo.stamp_client(), _table()  # no hidden backoff: _take_minute retries briefly
    window = range(bucket - WINDOW_BUCKETS, bucket)
    keys = [{"pk": dynamo.s(f"min#{b}")} for b in window]
    if klass:  # the class's own buckets
        keys += [{"pk": dynamo.s(f"min#{klass}#{b}")} for b in window]
    if klass or warm:  # the current bucket: its note of who read in it, and whether only the warmer called
        keys.append({"pk": dynamo.s(f"min#{bucket}")})
    got = client.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    items = {i["pk"]["S"]: i for i in got["Responses"].get(table, [])}
    used = sum(int(dynamo.num(items.get(f"min#{b}", {}), "n")) for b in window)
    if warm and _only_warmer(items, range(bucket - WINDOW_BUCKETS, bucket + 1)):
        allowance = max(allowance, int(get_settings().upstream_per_minute * WARM_IDLE_UNTIL))
    room = allowance - used
    if room <= 0:
        return (bucket + 1) * BUCKET - now
    counted_class = klass and _count_class(items, klass, bucket, now)
    try:
        client.update_item(
            TableName=table,
            Key={"pk": dynamo.s(f"min#{bucket}")},
            UpdateExpression="ADD n :one"
            + (", cls :me" if klass else "")
            + (", w :one" if warm else "")
            + " SET expires_at = :exp",
            ConditionExpression="attribute_not_exists(n) OR n < :room",
            ExpressionAttributeValues={
                ":one": dynamo.n(1),
                ":room": dynamo.n(room),
                ":exp": dynamo.n(int(now) + 3600),
                **({":me": {"SS": [klass]}} if klass else {}),
            },
        )
        return None
    except ClientError as exc:
        if counted_class:
            _uncount_minute(now, klass)
        if not dynamo.conditional_failed(exc):
            raise
    return (bucket + 1) * BUCKET - now


def _only_warmer(items: dict, buckets: range) -> bool:
    """Nobody but the warmer called in these minute buckets (its calls are counted in `w` as well)."""
    got = [items.get(f"min#{b}", {}) for b in buckets]
    return sum(int(dynamo.num(i, "n")) for i in got) <= sum(int(dynamo.num(i, "w")) for i in got)


def _count_class(items: dict, klass: str, bucket: int, now: float) -> bool:
    """Count one read of `klass` in its own buckets, within its share; ShareSpent if that is full."""
    settings = get_settings()
    others = any(
        set(item.get("cls", {}).get("SS", [])) - {klass}
        for pk, item in items.items()
        if pk.count("#") == 1  # the minute's own buckets note who read in them
    )
    share = settings.caller_read_share if others else settings.caller_read_share_alone
    cap = max(1, int(_allowance("read") * share))
    used = sum(
        int(dynamo.num(items.get(f"min#{klass}#{b}", {}), "n"))
        for b in range(bucket - WINDOW_BUCKETS, bucket)
    )
    if cap - used > 0:
        try:
            dynamo.stamp_client().update_item(
                TableName=_table(),
                Key={"pk": dynamo.s(f"min#{klass}#{bucket}")},
                UpdateExpression="ADD n :one SET expires_at = :exp",
                ConditionExpression="attribute_not_exists(n) OR n < :room",
                ExpressionAttributeValues={
                    ":one": dynamo.n(1),
                    ":room": dynamo.n(cap - used),
                    ":exp": dynamo.n(int(now) + 3600),
                },
            )
            return True
        except ClientError as exc:
            if not dynamo.conditional_failed(exc):
                raise
    raise ShareSpent((bucket + 1) * BUCKET - now)


def _uncount_minute(counted_at: float, klass: str | None = None, warm: bool = False) -> None:
    """Give back a minute count (of everyone's, or of a class's buckets) whose call never went out (the slot
    wait gave up); `warm`: the warmer's (its `w` too). Never raises."""
    prefix = f"min#{klass}#" if klass else "min#"
    with contextlib.suppress(ClientError, BotoCoreError):  # else the minute is a little more conservative
        dynamo.client().update_item(
            TableName=_table(),
            Key={"pk": dynamo.s(f"{prefix}{int(counted_at // BUCKET)}")},
            UpdateExpression="ADD n :minus" + (", w :minus" if warm else ""),
            ConditionExpression="n > :zero",
            ExpressionAttributeValues={":minus": dynamo.n(-1), ":zero": dynamo.n(0)},
        )


class _LocalLimiter:
    """Fallback while DynamoDB is unreachable: one call per second and 20 a minute from this container."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.paused_until = 0.0
        self.lock = threading.Lock()

    def wait_time(self, now: float) -> float:
        with self.lock:
            if now < self.paused_until:
                return self.paused_until - now
            self.times = [t for t in self.times if t > now - 60]
            if len(self.times) >= 20:
                return self.times[0] + 60 - now
            if self.times and self.times[-1] > now - SLOT_SPACING:
                return self.times[-1] + SLOT_SPACING - now
            self.times.append(now)
            return 0.0


def _local() -> _LocalLimiter:
    return container.get("budget.local", _LocalLimiter)


def _slots() -> list[int]:
    return list(range(get_settings().upstream_per_second))


def _allowance(priority: Priority) -> int:
    per_minute = get_settings().upstream_per_minute
    if priority == "write":
        return per_minute
    if priority == "warm":
        return max(1, int(per_minute * WARM_UNTIL))
    reads = per_minute - max(1, int(per_minute * WRITE_SHARE))
    return reads if priority == "read" else reads - max(1, int(per_minute * MISS_SHARE))


@dataclass
class Turn:
    """One upstream call's place in the budget: the slot it holds and the stamp saying when it goes out."""

    priority: Priority
    deadline: float  # clock.monotonic() after which no slot is waited for
    klass: str | None = None  # the caller class its read counts towards
    stamp: float = 0.0
    slot: dict | None = None  # the slot item's key; None: a turn of the local limiter
    counted_at: float | None = None  # when it was counted in the minute's buckets
    since: float = 0.0  # when it started waiting (epoch seconds): among equals, the oldest goes first
    target: tuple[int, float] | None = None  # the slot it marked and waits for, and when that frees
    queued: str | None = None  # its entry in the queue, while it has one


def acquire(priority: Priority = "read", wait_max: float | None = None) -> float:
    """take()'s stamp (epoch seconds), for a call that goes out on it at once: it is confirmed as sent then
    (sent()), so its slot is not held."""
    turn = take(priority, wait_max)
    sent(turn, turn.stamp)
    return turn.stamp


def take(priority: Priority = "read", wait_max: float | None = None) -> Turn:
    """Block until one upstream call may go out and return its turn, or raise BudgetExhausted(retry_after).
    The call goes out through sending() (right before the request is written) and sent() (right after).

    Waits at most `wait_max` seconds (default: BUDGET_WAIT_SECONDS) for a per-second slot; a spent
    minute raises at once, since waiting for it would outlast any request.
    """
    wait = get_settings().budget_wait_seconds if wait_max is None else wait_max
    klass = None if priority in ("write", "warm") else _class()  # reads count towards their caller's share
    turn = Turn(priority, clock.monotonic() + wait, klass, since=clock.now())
    _place(turn)
    return turn


def _place(turn: Turn) -> None:
    """Give `turn` a slot, counting it in the minute first if it is not yet (so the slot is the last step),
    waiting until its deadline; BudgetExhausted (the minute's count given back) if none comes in time."""
    slots, allowance = _slots(), _allowance(turn.priority)
    defer = WARM_DEFER if turn.priority == "warm" else 0.0  # the others' order: the marks (_take_slot)
    started = clock.monotonic()
    waited = False
    while True:
        now = clock.now()
        try:
            if turn.counted_at is None:
                _count(turn, allowance, now)
            taken, wait = _take_slot(turn, slots, defer)
        except (ClientError, BotoCoreError) as exc:
            throttled = isinstance(exc, ClientError) and dynamo.throttled(exc)
            if throttled and clock.monotonic() - started < THROTTLE_PATIENCE:
                # Busy, not gone: the local limiter cannot see the other containers, so wait for the table.
                taken, wait = None, random.uniform(0.02, 0.08)
            else:
                logger.warning(
                    "budget table unavailable; using the local limiter", extra={"error": type(exc).__name__}
                )
                wait = _local().wait_time(now)
                taken = (clock.now(), None) if not wait else None
        if taken is not None:
            _leave(turn)
            stamp, turn.slot = taken
            # Held until its stamp only now, its old mark off: the next in line may look meanwhile.
            turn.stamp = stamp if turn.slot is None else _when_due(turn.slot, stamp)
            if waited:
                count("BudgetWait")
            return
        if clock.monotonic() + wait > turn.deadline:
            count("BudgetExhausted")
            _give_back(turn)  # no call goes out: the minute's allowance is not spent
            _leave(turn)
            _refresh_refused(turn, clock.now(), wait)  # the slots are taken by misses
            raise BudgetExhausted(wait)
        waited = True
        clock.sleep(wait + (0.0 if turn.target is not None else random.uniform(0, 0.02)))


def _count(turn: Turn, allowance: int, now: float) -> None:
    """Count the turn in the minute's buckets (and its class's); BudgetExhausted when they are full."""
    try:
        minute_wait = _take_minute(allowance, now, turn.klass, turn.priority == "warm")
    except ShareSpent as spent:
        count("BudgetShareSpent")
        _refresh_refused(turn, now, spent.wait, f"refresh:{turn.klass}")
        raise BudgetExhausted(spent.wait, str(spent), shared=False) from None
    if minute_wait is not None:
        count("BudgetExhausted")
        _refresh_refused(turn, now, minute_wait)
        raise BudgetExhausted(minute_wait, "upstream budget for this minute is spent")
    turn.counted_at = now


def _refresh_refused(turn: Turn, now: float, wait: float, memo: str = "refresh") -> None:
    """A refresh refused: this container's next refreshes (of everyone, or of a class) are not tried for a
    moment (refresh_spent)."""
    if turn.priority == "refresh":
        _memo()[memo] = now + min(wait, REFRESH_MEMO)


def _give_back(turn: Turn) -> None:
    if turn.counted_at is not None:
        _uncount_minute(turn.counted_at, warm=turn.priority == "warm")
        if turn.klass:
            _uncount_minute(turn.counted_at, turn.klass)
        turn.counted_at = None


def sending(turn: Turn) -> None:
    """Right before the request is written: the turn's slot is held until sent() (or HOLD), so a call that
    goes out late still keeps SLOT_SPACING from the slot's last call and its next. Past SEND_LATE after its
    stamp (a process descheduled since the slot was taken), the hold may end before the write: the slot is
    let go and a new one taken, waiting within the turn's deadline; past it, BudgetExhausted and nothing
    sent."""
    for _ in range(RETAKES):
        lag = clock.now() - turn.stamp
        if lag <= SEND_LATE:
            return
        count("BudgetRetake")
        logger.info(
            "budget turn went stale before the send; taking another", extra={"lag_ms": int(lag * 1000)}
        )
        _release(turn)
        if clock.monotonic() > turn.deadline:
            break
        _place(turn)
    if clock.now() - turn.stamp > SEND_LATE:  # starved throughout: better not sent than over the limit
        _release(turn)
        _give_back(turn)
        raise BudgetExhausted(1.0, "upstream call could not be sent on its budget turn", shared=False)


def sent(turn: Turn, at: float) -> None:
    """The request was written at `at` (epoch seconds): the turn's hold ends. Later than its stamp by over
    MAX_SEND_LAG (the process descheduled between sending() and the write, a new connection's handshake),
    the slot is stamped with `at`, so its next user keeps a full SLOT_SPACING from when Altegio saw the
    call. Never raises."""
    late = at - turn.stamp > MAX_SEND_LAG
    if late:
        count("BudgetLateSend")
    if turn.slot is None:  # the local limiter's turn
        if late:
            local = _local()
            with local.lock:
                local.times.append(at)  # counted twice: more conservative, never less
        return
    went_out = at if late else turn.stamp
    try:
        _retried(
            dynamo.stamp_client().update_item,
            TableName=_table(),
            Key=turn.slot,
            UpdateExpression="SET t = :t REMOVE h",
            ConditionExpression="h = :hold AND t <= :t",  # still its hold; a pause's later t is kept
            ExpressionAttributeValues={":t": dynamo.n(went_out), ":hold": dynamo.n(_hold(turn.stamp))},
        )
    except ClientError as exc:
        if dynamo.conditional_failed(exc):
            _release(turn)  # paused meanwhile (or the hold is over): only the hold ends
    except BotoCoreError:
        pass  # the hold ends by itself
    turn.stamp = went_out


def _release(turn: Turn) -> None:
    """End the turn's hold on its slot (its t left as it is) and let the slot go. Never raises: a hold
    left ends by itself."""
    if turn.slot is None:
        return
    with contextlib.suppress(ClientError, BotoCoreError):
        _retried(
            dynamo.stamp_client().update_item,
            TableName=_table(),
            Key=turn.slot,
            UpdateExpression="REMOVE h",
            ConditionExpression="h = :hold",
            ExpressionAttributeValues={":hold": dynamo.n(_hold(turn.stamp))},
        )
    turn.slot = None


def pause(seconds: float) -> None:
    """Altegio said 429 / Retry-After: no container sends anything for `seconds`. Never raises."""
    now = clock.now()
    until = now + max(0.0, seconds)
    local = _local()
    with local.lock:
        local.paused_until = max(local.paused_until, until)
    marked = until - SLOT_SPACING  # a slot frees SLOT_SPACING after its t
    try:
        for slot in range(get_settings().upstream_per_second):
            try:
                dynamo.client().update_item(
                    TableName=_table(),
                    Key={"pk": dynamo.s(f"sec#{slot}")},
                    UpdateExpression="SET t = :t, expires_at = :exp",
                    ConditionExpression="attribute_not_exists(t) OR t < :t",
                    ExpressionAttributeValues={
                        ":t": dynamo.n(marked),
                        ":exp": dynamo.n(int(until) + 3600),
                    },
                )
            except ClientError as exc:
                if not dynamo.conditional_failed(exc):
                    raise
    except (ClientError, BotoCoreError) as exc:
        logger.warning("could not share the upstream pause", extra={"error": type(exc).__name__})
