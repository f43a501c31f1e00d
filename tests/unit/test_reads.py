"""reads.py: reads counted per key in the container, sent in one write at most every FLUSH_SECONDS, summed
over the last buckets by hot(), most read first; a DynamoDB failure loses counts, never a request."""

from __future__ import annotations

from booking_gateway import reads
from booking_gateway.reads import ReadKey

DAY = "2026-12-07"
TIMES = ReadKey("book_times", f"/book_times/101/0/{DAY}", (("service_ids[]", "10011"),), 101, DAY, 0)
DATES = ReadKey("book_dates", "/book_dates/101", (("date_from", "2026-12-01"),), 101)


def test_counts_leave_in_one_write_per_interval_and_come_back_most_read_first(ddb, clock):
    reads.note(DATES)
    for _ in range(3):
        reads.note(TIMES)
    assert reads.hot() == []  # still in the container: the interval has not passed
    clock.advance(reads.FLUSH_SECONDS)
    reads.note(TIMES)  # this read finds the interval over and sends everything
    assert reads.hot() == [(4, TIMES), (1, DATES)]
    reads.note(DATES)
    reads.flush()
    assert reads.hot() == [(4, TIMES), (2, DATES)]
    clock.advance(reads.BUCKET * reads.LATELY)  # no longer "lately"
    assert reads.hot() == []


def test_only_availability_reads_are_counted(ddb, clock):
    reads.note(ReadKey("bookform", "/bookform/1"))
    reads.flush()
    assert reads.hot() == []


def test_a_failing_table_loses_counts_not_requests(ddb, settings_env, clock):
    settings_env(CACHE_TABLE="no-such-table")  # moto refuses every call on it
    reads.note(TIMES)
    clock.advance(reads.FLUSH_SECONDS)
    reads.note(TIMES)
    assert reads.hot() == []
