"""The bench's visitor model makes the page's calls (web/app.js), in its order, each day's times once."""

from __future__ import annotations

import pytest

from bench.loadgen import Reply
from bench.visitor import Intent, Session

DAYS = ["2026-12-08", "2026-12-09", "2026-12-11", "2026-12-12", "2026-12-14"]


def run(day_rank: int) -> list[str]:
    """What a visitor who looks at the `day_rank`-th bookable day asks, with the thinks between."""
    log: list[str] = []

    def call(op, method, path, query=None, body=None, headers=None, shown=None) -> Reply:
        log.append(path if op == "book_times" else op)
        data = {
            "book_services": {"services": [{"id": 20011}]},
            "book_staff": [{"id": 2021, "bookable": True}],
            "book_dates": {"booking_dates": DAYS},
            "book_times": [{"time": "10:00", "datetime": "2026-12-08T10:00:00-05:00"}],
        }.get(op)
        return Reply(200, data, [])

    thinks = {k: 0 for k in ("service", "staff", "day", "slot")}
    intent = Intent(
        1, 0, 202, service_rank=0, staff_rank=0, day_rank=day_rank, slot_pick=0, book=False, thinks=thinks
    )
    Session(intent, call, lambda s: log.append("think")).run()
    assert len([x for x in log if x != "think"]) == intent.planned_requests()
    return log


@pytest.mark.parametrize("rank", range(4))
def test_the_first_bookable_days_times_are_asked_before_the_pick_and_no_day_twice(rank):
    log = run(rank)
    times = [x.rsplit("/", 1)[1] for x in log if x.startswith("/book_times/")]
    day_think = [n for n, x in enumerate(log) if x == "think"][2]  # after service and team member
    assert times[0] == DAYS[0] and log.index("/book_times/202/0/" + DAYS[0]) < day_think
    assert len(times) == len(set(times))
    neighbours = {DAYS[n] for n in (rank - 1, rank + 1) if n >= 0}
    assert set(times) == {DAYS[0], DAYS[rank], *neighbours}
