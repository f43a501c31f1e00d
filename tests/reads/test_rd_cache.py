"""DynamoDB cache behaviour: normalised keys, hard expiry on read, availability generation, stale-if-error."""

from __future__ import annotations

import time
from decimal import Decimal

from booking_gateway import cache
from rd_kit import upstream_calls


def _items(stack, prefix: str) -> list[dict]:
    return [i for i in stack.dynamodb.Table("CacheTable").scan()["Items"] if i["pk"].startswith(prefix)]


def _age_entries(stack, prefix: str, **fields) -> None:
    table = stack.dynamodb.Table("CacheTable")
    for item in _items(stack, prefix):
        item.update({k: Decimal(str(v)) if isinstance(v, float) else v for k, v in fields.items()})
        table.put_item(Item=item)


def test_reordered_and_repeated_service_ids_share_one_entry(local_stack, gw):
    a = gw("/book_staff/101?service_ids[]=10012&service_ids[]=10011")
    b = gw("/book_staff/101?service_ids[]=10011&service_ids[]=10012&service_ids[]=10011")
    assert (a.headers["x-cache"], b.headers["x-cache"]) == ("miss", "hit")
    assert a.body == b.body
    assert len(_items(local_stack, "c#book_staff#")) == 1


def test_hard_expiry_is_checked_on_read(local_stack, gw):
    gw("/bookform/1")
    _age_entries(
        local_stack, "c#bookform#", expires_at=int(time.time()) - 1
    )  # DynamoDB may not have deleted it
    again = gw("/bookform/1")
    assert again.headers["x-cache"] == "miss"
    assert upstream_calls(local_stack, "/bookform/1") == 2


def test_soft_expiry_refreshes(local_stack, gw):
    gw("/book_services/101")
    _age_entries(local_stack, "c#book_services#", fresh_until=time.time() - 1)
    assert gw("/book_services/101").headers["x-cache"] == "miss"


def test_generation_bump_makes_availability_stale_at_once(local_stack, gw):
    path = "/book_dates/101?service_ids[]=10011"
    gw(path)
    assert gw(path).headers["x-cache"] == "hit"
    cache.bump_generation(101)
    assert gw(path).headers["x-cache"] == "miss"
    cache.bump_generation(202)  # another location: no effect here
    assert gw(path).headers["x-cache"] == "hit"


def test_stale_served_when_altegio_fails(local_stack, gw):
    first = gw("/book_staff/101")
    _age_entries(local_stack, "c#book_staff#", fresh_until=time.time() - 1)
    local_stack.sandbox.configure(error_rate=1.0, error_status=503)
    try:
        stale = gw("/book_staff/101")
    finally:
        local_stack.sandbox.reset(config=True)
    assert stale.status == 200 and stale.headers["x-cache"] == "stale"
    assert stale.body == first.body
    # Fault cleared: service returns without a restart.
    local_stack.reset_budget()  # the retries spent this second's slots
    _age_entries(local_stack, "c#book_staff#", fresh_until=time.time() - 1)
    assert gw("/book_staff/101").headers["x-cache"] == "miss"


def test_stale_served_when_altegio_rate_limits(local_stack, gw):
    gw("/book_services/202")
    _age_entries(local_stack, "c#book_services#", fresh_until=time.time() - 1)
    local_stack.sandbox.configure(faults=[{"kind": "error", "status": 429, "rate": 1.0}])
    try:
        stale = gw("/book_services/202")
    finally:
        local_stack.sandbox.reset(config=True)
    assert stale.status == 200 and stale.headers["x-cache"] == "stale"


def test_503_with_retry_after_when_rate_limited_and_nothing_cached(local_stack, gw):
    local_stack.sandbox.configure(faults=[{"kind": "error", "status": 429, "rate": 1.0}])
    try:
        answer = gw("/book_services/101")
    finally:
        local_stack.sandbox.reset(config=True)
    assert answer.status == 503
    assert int(answer.headers["retry-after"]) >= 1
    body = answer.json()
    assert body["success"] is False and "retry" in body["meta"]["message"].lower()


def test_502_with_clear_message_when_altegio_down_and_nothing_cached(local_stack, gw):
    local_stack.sandbox.configure(error_rate=1.0, error_status=500)
    try:
        answer = gw("/bookform/2")
    finally:
        local_stack.sandbox.reset(config=True)
    assert answer.status == 502
    assert answer.json()["meta"]["message"] == "Altegio is unavailable; retry shortly."
    assert not _items(local_stack, "c#bookform#")


def test_dynamodb_failure_degrades_to_upstream(local_stack, gw, monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    def down(*_a, **_k):
        raise EndpointConnectionError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(cache, "read", down)
    answer = gw("/book_staff/202")
    assert answer.status == 200 and answer.headers["x-cache"] == "bypass"
