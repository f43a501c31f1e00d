"""bookings.py's pure part: which days a booking changes."""

from __future__ import annotations

from booking_gateway.bookings import booked_days
from booking_gateway.forward import Days


def test_a_booking_changes_its_days_or_when_one_is_unknown_the_whole_location():
    assert booked_days(101, ["2026-12-01T10:00:00+02:00", "2026-12-02T09:00:00+02:00"]) == Days(
        101, frozenset({"2026-12-01", "2026-12-02"})
    )
    assert booked_days(101, ["2026-12-01T10:00:00+02:00", "soon"]) == 101
    assert booked_days(101, []) == 101


def test_the_idempotency_store_is_loaded_by_a_booking_not_at_init(cold_start_modules):
    cancel = cold_start_modules("import app", function="user_records_delete")
    assert "booking_gateway.bookings" in cancel
    assert "booking_gateway.idempotency" not in cancel and "boto3" not in cancel  # ~40 ms of boto3
    book = cold_start_modules("import app", function="book_record")
    assert "booking_gateway.idempotency" not in book
