"""write_path.py's pure parts: which days a write changes."""

from __future__ import annotations

import pytest
from booking_gateway.write_path import Days, booked_days, day_of


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-12-01T10:00:00-05:00", "2026-12-01"),  # the location's calendar day, not UTC's
        ("2026-12-31T23:30:00+02:00", "2026-12-31"),
        ("2026-12-01", "2026-12-01"),
        ("tomorrow", None),
        (None, None),
        (20261201, None),
    ],
)
def test_day_of(value, day):
    assert day_of(value) == day


def test_a_booking_changes_its_days_or_when_one_is_unknown_the_whole_location():
    assert booked_days(101, ["2026-12-01T10:00:00+02:00", "2026-12-02T09:00:00+02:00"]) == Days(
        101, frozenset({"2026-12-01", "2026-12-02"})
    )
    assert booked_days(101, ["2026-12-01T10:00:00+02:00", "soon"]) == 101
    assert booked_days(101, []) == 101
