"""Bad input gets a clear 4xx in Altegio's envelope naming the parameter; nothing reaches Altegio."""

from __future__ import annotations

import pytest

BAD = [
    ("/book_staff/0", "location_id"),
    ("/book_staff/-5", "location_id"),
    ("/book_staff/abc", "location_id"),
    ("/book_staff/99999999999999", "location_id"),
    ("/book_times/101/0/2026-02-30", "date"),
    ("/book_times/101/0/tomorrow", "date"),
    ("/book_times/101/-1/2026-12-01", "team_member_id"),
    ("/book_dates/101?date_from=2026-12-01", "date_to"),
    ("/book_dates/101?date_to=2026-12-01", "date_from"),
    ("/book_dates/101?date_from=2026-12-10&date_to=2026-12-01", "date_to"),
    ("/book_dates/101?date_from=2026-01-01&date_to=2026-12-31", "date_to"),
    ("/book_dates/101?date=2026-13-01", "date"),
    ("/book_staff/101?service_ids[]=abc", "service_ids[]"),
    ("/book_staff/101?service_ids[]=0", "service_ids[]"),
    ("/book_staff/101?" + "&".join(f"service_ids[]={i}" for i in range(1, 30)), "service_ids[]"),
    ("/book_services/101?staff_id=x", "staff_id"),
    ("/book_services/101?datetime=yesterday", "datetime"),
    ("/book_services/101?utm_source=junk", "utm_source"),
    ("/book_services/101?staff_id=1&staff_id=2", "staff_id"),
    ("/i18n/english", "lang_code"),
    ("/bookform/0", "id"),
]


@pytest.mark.parametrize(("path", "param"), BAD)
def test_bad_parameters_are_refused_before_altegio(local_stack, gw, path, param):
    answer = gw(path)
    assert answer.status in (400, 422), answer.body
    body = answer.json()
    assert body["success"] is False and body["data"] is None
    assert param in body["meta"]["message"]
    assert not local_stack.sandbox.requests(), "nothing may reach Altegio"


def test_unknown_location_is_404_without_upstream_call_or_cache_write(local_stack, gw):
    answer = gw("/book_times/303/0/2026-12-01")
    assert answer.status == 404 and answer.json()["meta"]["message"] == "Location 303 not found"
    assert not local_stack.sandbox.requests()
    assert not local_stack.dynamodb.Table("CacheTable").scan()["Items"]


@pytest.mark.parametrize("accept", ["application/vnd.api.v2+json", "application/vnd.yclients.v2+json"])
def test_altegio_clients_work_unchanged(gw, accept):
    answer = gw("/book_services/101/", headers={"Accept": accept, "Authorization": "Bearer partner-x"})
    assert answer.status == 200 and answer.json()["success"] is True


def test_unacceptable_accept_header(gw):
    answer = gw("/bookform/1", headers={"Accept": "text/html"})
    assert answer.status == 406 and answer.json()["success"] is False


def test_api_key_is_required(local_stack):
    from rd_kit import http

    assert http(local_stack.api_base, "/bookform/1", None).status == 403
    assert http(local_stack.api_base, "/bookform/1", "wrong-key-0000000000000").status == 403
    assert http(local_stack.api_base, "/openapi.json", None).status == 200  # public by design
