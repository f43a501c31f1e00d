"""Each record's last known position: its team member, start, length and services (and whether it is
deleted), so a webhook's change can be told apart (webhooks.py): a move frees the old day and takes the new
interval; a repeat or an older change takes nothing.

Item `pos#<location>#<record id>` in the cache table: s (team member, 0: not known), t (start, epoch
seconds), l (length in seconds, 0: not known), v (service ids, comma-joined), day (the location's calendar
day of the start), x (1: deleted), c (Altegio's change time, `last_change_date`; absent for the gateway's
own bookings, which have no such time) and k (0 create, 1 update, 2 delete: their order within one change
time, Altegio's being whole seconds), expires_at (a day after the record ends, at least a day from now).

Altegio's change times and the gateway's clock are never compared: a position the gateway's own booking
wrote is only ever written where none is known (`own`), and any change Altegio reports later replaces it.
Two changes Altegio reports replace each other in the order of their change times, never backwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from . import clock, dynamo
from .observability import logger
from .settings import get_settings

KEEP_AFTER_END = 86400  # seconds a position is kept after its record ends (a late cancel or move)

Interval = tuple[int, float, float]  # holds.Interval: team member (0: not known), start, end


@dataclass(frozen=True)
class Position:
    staff_id: int  # 0: not known (a booking for "any" that was not read back)
    start: float  # epoch seconds
    length: int  # seconds; 0: not known
    services: tuple[int, ...]
    day: str  # the location's calendar day of the start, YYYY-MM-DD
    deleted: bool = False
    changed: float | None = None  # Altegio's change time (epoch seconds); None: the gateway's own booking
    # Within one change time (Altegio's are whole seconds) a create came first and a delete last.
    rank: int = 0

    @property
    def interval(self) -> Interval | None:
        """What the record keeps busy; None when deleted or its length is not known."""
        if self.deleted or self.length <= 0:
            return None
        return self.staff_id, self.start, self.start + self.length

    def covers(self, other: Position) -> bool:
        """Does `other`, a later report of the same record, take nothing this one did not and free nothing?
        Then lists patched for this one need no further change."""
        if self.deleted or other.deleted:
            return self.deleted == other.deleted
        return (
            self.start == other.start
            and (not self.services or not other.services or self.services == other.services)
            and self.staff_id in (0, other.staff_id)
            and 0 < other.length <= self.length
        )

    def older_than(self, other: Position) -> bool:
        """Did Altegio report this change before `other`? Only two change times of Altegio's compare."""
        if self.changed is None or other.changed is None:
            return False
        return (self.changed, self.rank) < (other.changed, other.rank)


def key(location_id: int, record_id: int) -> dict:
    """The item's key, for a caller that reads it with others in one request (from_item)."""
    return {"pk": dynamo.s(f"pos#{location_id}#{record_id}")}


def recall(location_id: int, record_id: int) -> Position | None:
    """The record's last known position, None if none is kept. Raises dynamo.Unavailable."""
    got = dynamo.client().get_item(
        TableName=get_settings().cache_table, Key=key(location_id, record_id), ConsistentRead=True
    )
    return from_item(got.get("Item"))


def from_item(item: dict | None) -> Position | None:
    """A kept position item as a Position; None for no item."""
    if item is None:
        return None
    services = item.get("v", {}).get("S", "")
    return Position(
        staff_id=int(dynamo.num(item, "s")),
        start=dynamo.num(item, "t"),
        length=int(dynamo.num(item, "l")),
        services=tuple(int(s) for s in services.split(",") if s),
        day=item.get("day", {}).get("S", ""),
        deleted=bool(dynamo.num(item, "x")),
        changed=dynamo.num(item, "c") if "c" in item else None,
        rank=int(dynamo.num(item, "k")),
    )


def remember(location_id: int, record_id: int, pos: Position) -> bool:
    """Keep `pos` unless a change Altegio reported later is kept, or the record is known deleted (a delete
    is final); the gateway's own booking only where nothing is kept, its own cancel always. False when the
    kept one stays. Raises CacheUnavailable."""
    expires = max(clock.now(), pos.start + pos.length) + KEEP_AFTER_END
    item = {
        **key(location_id, record_id),
        "s": dynamo.n(pos.staff_id),
        "t": dynamo.n(pos.start),
        "l": dynamo.n(pos.length),
        "v": dynamo.s(",".join(str(s) for s in pos.services)),
        "day": dynamo.s(pos.day),
        "x": dynamo.n(int(pos.deleted)),
        "expires_at": dynamo.n(int(expires)),
    }
    values: dict = {}
    if pos.changed is None:  # the gateway's own: a booking where nothing is known, a cancel anywhere
        condition = None if pos.deleted else "attribute_not_exists(pk)"
    else:
        item["c"], item["k"] = dynamo.n(pos.changed), dynamo.n(pos.rank)
        # DynamoDB refuses redundant parentheses: AND binds before OR.
        newer = "attribute_not_exists(c) OR c < :c OR c = :c AND (attribute_not_exists(k) OR k <= :k)"
        values.update({":c": dynamo.n(pos.changed), ":k": dynamo.n(pos.rank)})
        if pos.deleted:
            condition = f"attribute_not_exists(pk) OR {newer}"
        else:  # a deleted record stays deleted
            condition = f"attribute_not_exists(pk) OR ({newer}) AND x = :no"
            values[":no"] = dynamo.n(0)
    try:
        dynamo.client().put_item(
            TableName=get_settings().cache_table,
            Item=item,
            **({"ConditionExpression": condition} if condition else {}),
            **({"ExpressionAttributeValues": values} if values else {}),
        )
    except ClientError as exc:
        if dynamo.conditional_failed(exc):
            return False
        raise
    return True


def remember_own(location_id: int, record_id: int, pos: Position) -> None:
    """After the gateway's own booking or cancel: where the record is, unless Altegio already said. Never
    raises: without it a later change of the record is handled as one of a record never seen."""
    try:
        remember(location_id, record_id, pos)
    except dynamo.Unavailable as exc:
        logger.warning("record position not kept", extra={"error": type(exc).__name__})
