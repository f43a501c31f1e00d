"""forward.py's pure parts: the day a write changes, and what a forwarded call that got no answer
becomes."""

from __future__ import annotations

import pytest
from booking_gateway import errors
from booking_gateway.forward import WriteResult, _unanswered, day_of


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


def test_a_write_that_got_no_answer_is_answered_from_the_one_table():
    timeout = errors.UpstreamTimeout("POST /book_record/1: no answer")
    timed_out = _unanswered(timeout, "create_online_booking", False)
    assert (timed_out.status, timed_out.outcome) == (504, "unknown")
    assert errors.BOOKING_TIMEOUT_MESSAGE in timed_out.body and "Retry-After" not in timed_out.headers
    spent = _unanswered(errors.BudgetExhausted(2.2), "send_booking_verification_code", False)
    assert (spent.status, spent.outcome, spent.headers["Retry-After"]) == (503, "not_sent", "3")
    assert WriteResult.from_dict(spent.to_dict()) == spent  # stored for replays as it is
