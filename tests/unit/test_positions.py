"""positions.py: what a later report of a record changes, the order of Altegio's changes, and the kept
position (moto's DynamoDB in-process): newer replaces older, never back; a delete is final; the gateway's
own booking only where nothing is known."""

from __future__ import annotations

import pytest
from booking_gateway import positions
from booking_gateway.positions import Position

T0 = 1_796_000_000.0
HERE = Position(2021, T0, 3600, (20011,), "2026-12-01", changed=T0 - 60, rank=0)


@pytest.mark.parametrize(
    ("later", "covered"),
    [
        (HERE, True),  # the same report again
        (Position(2021, T0, 1800, (20011,), "2026-12-01"), True),  # shorter: frees a tail, takes nothing
        (Position(2021, T0, 5400, (20011,), "2026-12-01"), False),  # longer: takes more
        (Position(2022, T0, 3600, (20011,), "2026-12-01"), False),  # another team member
        (Position(2021, T0 + 900, 3600, (20011,), "2026-12-01"), False),  # moved
        (Position(2021, T0, 3600, (20012,), "2026-12-01"), False),  # other services
        (Position(2021, T0, 0, (20011,), "2026-12-01"), False),  # no length: cannot say what it takes
        (Position(2021, T0, 3600, (20011,), "2026-12-01", deleted=True), False),  # deleted
    ],
)
def test_what_a_later_report_changes(later, covered):
    assert HERE.covers(later) is covered


def test_a_booking_for_any_member_covers_the_member_altegio_chose():
    own = Position(0, T0, 3600 + 900, (20011,), "2026-12-01")  # the gateway's note: "any", break padded
    assert own.covers(Position(2021, T0, 3600, (20011,), "2026-12-01"))
    assert not Position(2021, T0, 3600, (), "d").covers(Position(0, T0, 3600, (), "d"))


def test_deleted_covers_only_deleted_and_has_no_interval():
    gone = Position(2021, T0, 3600, (20011,), "2026-12-01", deleted=True)
    assert gone.covers(Position(0, 0.0, 0, (), "", deleted=True))
    assert not gone.covers(HERE)
    assert gone.interval is None and Position(1, T0, 0, (), "d").interval is None
    assert HERE.interval == (2021, T0, T0 + 3600)


def test_order_of_altegios_changes_by_time_then_create_update_delete():
    update = Position(2021, T0, 3600, (), "d", changed=T0 - 60, rank=1)
    assert HERE.older_than(update) and not update.older_than(HERE)  # same second: create first
    assert Position(1, T0, 1, (), "d", changed=T0 - 61, rank=2).older_than(HERE)
    own = Position(2021, T0, 3600, (), "d")  # the gateway's own: no change time, never compared
    assert not own.older_than(HERE) and not HERE.older_than(own)


def test_kept_positions_replace_older_never_newer(ddb):
    assert positions.recall(202, 1) is None
    assert positions.remember(202, 1, HERE)
    assert positions.recall(202, 1) == HERE
    moved = Position(2021, T0 + 3600, 3600, (20011,), "2026-12-01", changed=T0 - 30, rank=1)
    assert positions.remember(202, 1, moved)
    assert not positions.remember(202, 1, HERE)  # an older report comes late: the move stays
    assert positions.recall(202, 1) == moved
    same_second = Position(2021, T0, 3600, (20011,), "2026-12-01", changed=T0 - 30, rank=0)
    assert not positions.remember(202, 1, same_second)  # its create, in the move's second: older


def test_a_delete_is_final(ddb):
    gone = Position(2021, T0, 3600, (20011,), "2026-12-01", deleted=True, changed=T0, rank=2)
    assert positions.remember(202, 2, gone)
    later_update = Position(2021, T0 + 60, 3600, (20011,), "2026-12-01", changed=T0 + 60, rank=1)
    assert not positions.remember(202, 2, later_update)
    assert positions.recall(202, 2) == gone


def test_the_gateways_own_booking_only_where_nothing_is_known_its_cancel_always(ddb):
    own = Position(0, T0, 4500, (20011,), "2026-12-01")
    assert positions.remember(202, 3, HERE)
    assert not positions.remember(202, 3, own)
    positions.remember_own(202, 4, own)
    assert positions.recall(202, 4) == own
    assert positions.remember(202, 4, HERE)  # Altegio's report replaces the gateway's guess
    cancelled = Position(0, 0.0, 0, (), "2026-12-01", deleted=True)
    positions.remember_own(202, 4, cancelled)
    assert positions.recall(202, 4) == cancelled


def test_kept_as_long_as_the_record_may_still_change(ddb, clock):
    from booking_gateway import dynamo
    from booking_gateway.settings import get_settings

    far = Position(2021, clock.now() + 30 * 86400, 3600, (), "2027-01-01")
    positions.remember(202, 5, far)
    item = dynamo.client().get_item(TableName=get_settings().cache_table, Key={"pk": {"S": "pos#202#5"}})
    assert int(item["Item"]["expires_at"]["N"]) == int(far.start + 3600 + positions.KEEP_AFTER_END)


def test_own_positions_never_raise(monkeypatch, ddb):
    from booking_gateway import dynamo
    from botocore.exceptions import ClientError

    class Down:
        def put_item(self, **kwargs):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "PutItem")

    monkeypatch.setattr(dynamo, "client", lambda: Down())
    positions.remember_own(202, 6, HERE)  # logged, not raised
    with pytest.raises(ClientError):
        positions.remember(202, 6, HERE)
