"""Bad input: 422 in Altegio's envelope naming the parameter, before any cache access or upstream call.
Unknown locations: 404. Altegio clients' own headers and path forms work. Never a 500."""

from __future__ import annotations

import pytest
from booking_gateway import read_path
from gw_kit import rest_event

MANY_IDS = "&".join(f"service_ids[]={i}" for i in range(1, 22))
BAD = [
    ("/bookform/0", "id"),
    ("/bookform/x1", "id"),
    ("/i18n/english", "lang_code"),
    ("/privacy_policy/-1", "location_id"),
    ("/book_staff/0", "location_id"),
    ("/book_staff/abc", "location_id"),
    ("/book_staff/1.5", "location_id"),
    ("/book_staff/99999999999999", "location_id"),
    ("/book_staff_seances/101/-1", "team_member_id"),
    ("/book_times/101/0/2026-02-30", "date"),
    ("/book_times/101/0/2026-2-3", "date"),
    ("/book_times/101/0/tomorrow", "date"),
    ("/book_times/101/x/2026-12-01", "team_member_id"),
    ("/book_times/101/-1/2026-12-01", "team_member_id"),
    ("/book_dates/101?date=2026-13-01", "date"),
    ("/book_dates/101?date_from=2026-12-01", "date_to"),
    ("/book_dates/101?date_to=2026-12-01", "date_from"),
    ("/book_dates/101?date_from=2026-12-10&date_to=2026-12-01", "date_to"),
    ("/book_dates/101?date_from=2026-01-01&date_to=2026-12-31", "date_to"),
    ("/book_dates/101?date_from=2026-02-29&date_to=2026-03-05", "date_from"),
    ("/book_staff/101?service_ids[]=abc", "service_ids[]"),
    ("/book_staff/101?service_ids[]=0", "service_ids[]"),
    ("/book_staff/101?service_ids[]=10011,x", "service_ids[]"),
    ("/book_staff/101?" + MANY_IDS, "service_ids[]"),
    ("/book_services/101?staff_id=x", "staff_id"),
    ("/book_services/101?staff_id=-1", "staff_id"),
    ("/book_services/101?datetime=yesterday", "datetime"),
    ("/book_services/101?utm_source=junk", "utm_source"),
    ("/book_services/101?service_ids=10011", "service_ids"),
    ("/book_services/101?staff_id=1&staff_id=2", "staff_id"),
    ("/bookform/1?lang=en", "lang"),
]


@pytest.mark.parametrize(("target", "param"), BAD)
def test_bad_parameters_are_refused_naming_the_parameter(gateway, target, param):
    answer = gateway.get(target)
    assert answer.status == 422, answer.body
    body = answer.json()
    assert body["success"] is False and body["data"] is None
    assert param in body["meta"]["message"]
    assert param in [e["parameter"] for e in body["meta"]["errors"]]
    assert answer.headers["content-type"] == "application/json"
    assert not gateway.upstream() and not gateway.cache_items(""), "nothing may reach Altegio or the cache"


@pytest.mark.parametrize(
    "target",
    [
        "/privacy_policy/303",
        "/book_services/303",
        "/book_staff/303?service_ids[]=1",
        "/book_staff_seances/303/1",
        "/book_dates/303",
        "/book_times/303/0/2026-12-01",
    ],
)
def test_other_locations_are_404_without_upstream_call_or_cache_write(gateway, target):
    answer = gateway.get(target)
    assert answer.status == 404
    assert answer.json() == {"success": False, "data": None, "meta": {"message": "Location 303 not found"}}
    assert not gateway.upstream() and not gateway.cache_items("")


@pytest.mark.parametrize("form_id", [4, 999, 2_000_000])  # 1, 2, 3 and 9 are served
def test_other_booking_forms_are_404_without_upstream_call_or_cache_write(gateway, form_id):
    answer = gateway.get(f"/bookform/{form_id}")
    assert answer.status == 404
    assert answer.json() == {
        "success": False,
        "data": None,
        "meta": {"message": f"Booking form {form_id} not found"},
    }
    assert not gateway.upstream() and not gateway.cache_items("")
    assert gateway.get("/bookform/2").status == 200  # the ones served still are


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/vnd.api.v2+json"},
        {"Accept": "application/vnd.yclients.v2+json"},
        {"Accept": "application/json, text/plain, */*"},
        {"Accept": "application/vnd.api.v2+json", "Authorization": "Bearer partner-token-of-theirs"},
        {"Accept": "application/vnd.api.v2+json", "Authorization": "Bearer x, User some-user-token"},
    ],
)
def test_altegio_clients_work_unchanged(gateway, headers):
    answer = gateway.get("/book_services/101/", headers=headers)  # trailing slash too
    assert answer.status == 200 and answer.json()["success"] is True


def test_a_trailing_slash_is_the_same_resource(gateway):
    assert gateway.get("/book_times/101/0/2030-01-02/").headers["x-cache"] == "miss"
    assert gateway.get("/book_times/101/0/2030-01-02").headers["x-cache"] == "hit"


def test_an_unacceptable_accept_header_is_406(gateway):
    answer = gateway.get("/bookform/1", headers={"Accept": "text/html"})
    assert answer.status == 406 and answer.json()["success"] is False
    assert not gateway.upstream()


def test_unknown_routes_are_404_in_the_envelope(gateway):
    answer = gateway.invoke("book_staff", rest_event("/book_staffs/101"))
    assert answer.status == 404 and answer.json()["success"] is False


def test_unexpected_errors_are_a_502_in_the_envelope_never_a_500(gateway, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("bug")

    monkeypatch.setattr(read_path, "_refresh", boom)
    answer = gateway.get("/bookform/2")
    assert answer.status == 502
    assert answer.json()["meta"]["message"] == "The gateway could not complete this request; retry shortly."


def test_cors_preflight_for_partners_pages(gateway):
    event = rest_event("/book_dates/101", headers={"Origin": "https://booking.example.com"}, method="OPTIONS")
    answer = gateway.invoke("book_dates", event)
    assert answer.status == 204
    assert answer.headers["access-control-allow-origin"] == "https://booking.example.com"
