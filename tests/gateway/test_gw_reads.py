"""Each read answers what Altegio (the sandbox) answers on a miss, then serves hits without calling it."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request

import pytest

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
IN_A_WEEK = (dt.date.today() + dt.timedelta(days=7)).isoformat()
READS = [
    "/bookform/1",
    "/i18n/en-US",
    "/privacy_policy/101",
    "/book_services/101?staff_id=1011",
    "/book_staff/202?service_ids[]=20011&service_ids[]=20021",
    "/book_staff_seances/101/1011?service_ids[]=10011",
    f"/book_dates/202?service_ids[]=20011&staff_id=0&date_from={TOMORROW}&date_to={IN_A_WEEK}",
    f"/book_times/101/0/{TOMORROW}?service_ids[]=10011",
]


def direct(sandbox, target: str) -> tuple[int, dict]:
    """What Altegio answers the gateway's own request (same path and query, partner token)."""
    req = urllib.request.Request(
        sandbox.api_base + target,
        headers={"Accept": "application/vnd.api.v2+json", "Authorization": "Bearer sandbox-partner-token"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("target", READS)
def test_miss_is_altegios_answer_then_hits_make_no_upstream_call(gateway, target):
    first = gateway.get(target)
    assert first.status == 200, first.body
    assert first.headers["x-cache"] == "miss" and first.headers["age"] == "0"
    assert len(gateway.upstream()) == 1
    assert (first.status, first.json()) == direct(gateway.sandbox, target)
    seen = len(gateway.upstream())
    for _ in range(3):
        hit = gateway.get(target)
        assert (hit.status, hit.headers["x-cache"], hit.body) == (200, "hit", first.body)
    assert len(gateway.upstream()) == seen, "a hit must not call Altegio"


def test_repeated_service_ids_are_forwarded_repeated_never_comma_joined(gateway):
    gateway.get("/book_staff/101?service_ids[]=10012&service_ids[]=10011")
    (call,) = gateway.upstream("/book_staff/101")
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(call["path"]).query)
    assert query == [("service_ids[]", "10011"), ("service_ids[]", "10012")]


@pytest.mark.gw_env(ALLOWED_BOOKFORM_IDS="1,2,999")  # a form the deployment serves but Altegio lacks
def test_altegio_errors_pass_through_unchanged_and_are_never_cached(gateway):
    mine = gateway.get("/bookform/999")
    assert (mine.status, mine.json()) == direct(gateway.sandbox, "/bookform/999")
    assert mine.status == 404 and mine.headers["cache-control"] == "no-store"
    gateway.get("/bookform/999")
    assert len(gateway.upstream("/bookform/999")) == 3  # two through the gateway, one direct
    assert not gateway.cache_items()


def test_cache_headers(gateway):
    assert gateway.get(f"/book_dates/101?date={TOMORROW}").headers["cache-control"] == "no-cache"
    static = gateway.get("/bookform/1")
    assert static.headers["cache-control"] == "max-age=600"
    gateway.update_items("c#bookform#", fetched_at=0)  # fetched long ago (still fresh by fresh_until)
    aged = gateway.get("/bookform/1")
    assert aged.headers["x-cache"] == "hit" and int(aged.headers["age"]) > 10**9
    assert aged.headers["content-type"] == "application/json"
