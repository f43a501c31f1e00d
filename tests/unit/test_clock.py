"""clock.py: the seam's "today" at a UTC offset."""

from __future__ import annotations

import datetime as dt

from booking_gateway import clock as seam


def test_today_is_the_date_at_the_offset_not_utcs(clock):
    clock.pin("2026-12-06T02:30:00Z")  # Dec 5 evening in New York, Dec 6 in Riga
    assert seam.today() == dt.date(2026, 12, 6)
    assert seam.today(dt.timedelta(hours=-5)) == dt.date(2026, 12, 5)
    assert seam.today(dt.timedelta(hours=2)) == dt.date(2026, 12, 6)
    clock.pin("2026-12-06T22:30:00Z")
    assert seam.today(dt.timedelta(hours=2)) == dt.date(2026, 12, 7)
    assert seam.today(dt.timedelta(hours=5, minutes=30)) == dt.date(2026, 12, 7)  # half-hour zones too
