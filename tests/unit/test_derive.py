"""derive.union: "any" team member's times from each member's list, only where that is exact."""

from __future__ import annotations

from booking_gateway import derive


def slot(at: str, length: int = 3600) -> dict:
    return {"time": at[11:16], "seance_length": length, "sum_length": length, "datetime": at}


def test_every_time_once_in_time_order():
    first = [slot("2026-12-08T10:00:00-05:00"), slot("2026-12-08T12:00:00-05:00")]
    second = [slot("2026-12-08T09:00:00-05:00"), slot("2026-12-08T10:00:00-05:00")]
    assert derive.union([first, second, []]) == [second[0], first[0], first[1]]
    assert derive.union([[], []]) == []


def test_one_time_listed_with_different_fields_is_not_derived():
    # A member's own length for the service: which one "any" lists is Altegio's to say.
    assert (
        derive.union([[slot("2026-12-08T10:00:00-05:00")], [slot("2026-12-08T10:00:00-05:00", 2700)]]) is None
    )
    # One instant written two ways is one time: listed differently, so asked too.
    assert derive.union([[slot("2026-12-08T10:00:00-05:00")], [slot("2026-12-08T15:00:00+00:00")]]) is None
