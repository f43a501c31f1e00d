"""Each GET answers exactly what Altegio (the sandbox) answers on a miss, then hits without calling it."""

from __future__ import annotations

import datetime as dt

import pytest
from rd_kit import upstream_calls

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
READS = [
    "/bookform/1",
    "/bookform/2",
    "/i18n/en-US",
    "/privacy_policy/101",
    "/book_services/101?staff_id=1011",
    "/book_staff/202?service_ids[]=20011",
    "/book_staff_seances/101/1011?service_ids[]=10011",
    "/book_dates/202?service_ids[]=20011&staff_id=0",
    f"/book_times/101/0/{TOMORROW}?service_ids[]=10011",
]


@pytest.mark.parametrize("path", READS)
def test_miss_equals_upstream_then_hit_without_upstream_call(local_stack, gw, upstream, path):
    first = gw(path)
    assert first.headers["x-cache"] == "miss"
    direct = upstream(path)
    assert first.status == direct.status == 200
    assert first.json() == direct.json()
    seen = len(local_stack.sandbox.requests())
    second = gw(path)
    assert second.headers["x-cache"] == "hit"
    assert second.body == first.body
    assert len(local_stack.sandbox.requests()) == seen, "a hit must not call Altegio"
    assert "age" in second.headers and "cache-control" in second.headers


def test_altegio_errors_pass_through_unchanged(local_stack, gw, upstream):
    path = "/bookform/999"
    mine, theirs = gw(path), upstream(path)
    assert mine.status == theirs.status >= 400
    assert mine.json() == theirs.json()
    assert mine.headers["cache-control"] == "no-store"
    gw(path)
    assert upstream_calls(local_stack, "/bookform/999") == 3, "errors are never cached"


def test_availability_entries_tell_browsers_to_revalidate(gw):
    assert gw("/book_dates/101").headers["cache-control"] == "no-cache"
    assert gw("/bookform/1").headers["cache-control"].startswith("max-age=")
