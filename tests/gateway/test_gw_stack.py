"""Through the local stack (HTTP, API key, moto server, sandbox): the read path end to end, the event
files, the API key, and the OpenAPI document (committed = freshly generated = served)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from gw_kit import READ_FUNCTIONS, ROOT, http

from scripts import gen_openapi

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
READS = [
    "/bookform/2",
    "/i18n/de-DE",
    "/privacy_policy/101",
    "/book_services/202?staff_id=2021",
    "/book_staff/101?service_ids[]=10012&service_ids[]=10011",
    "/book_staff_seances/202/2021?service_ids[]=20011",
    "/book_dates/101?service_ids[]=10011&staff_id=0",
    f"/book_times/202/0/{TOMORROW}?service_ids[]=20011",
]


@pytest.fixture
def stack(local_stack):
    local_stack.reset()
    return local_stack


@pytest.mark.parametrize("target", READS)
def test_through_the_stack_a_miss_is_altegios_answer_and_hits_stay_local(stack, target):
    key = {"x-api-key": stack.api_key}
    first = http(stack.api_base + target, key)
    assert (first.status, first.headers["x-cache"]) == (200, "miss")
    direct = http(stack.sandbox.api_base + target, {"Authorization": "Bearer sandbox-partner-token"})
    assert (first.status, first.json()) == (direct.status, direct.json())
    seen = len(stack.sandbox.requests())
    for _ in range(2):
        again = http(stack.api_base + target, key)
        assert (again.status, again.headers["x-cache"], again.body) == (200, "hit", first.body)
        assert "age" in again.headers and "cache-control" in again.headers
    assert len(stack.sandbox.requests()) == seen, "hits must not reach Altegio"


def test_every_read_event_file_invokes_successfully(stack):
    for folder, logical_id in READ_FUNCTIONS.items():
        event = json.loads((ROOT / "events" / f"{folder}.json").read_text())
        assert event["path"].startswith("/api/v1/") and event["requestContext"]["stage"]
        result = stack.invoke(logical_id, event)
        assert result["statusCode"] == 200, (folder, result.get("body", "")[:200])


def test_openapi_document_is_committed_fresh_and_served(stack):
    committed = gen_openapi.OUT.read_text()
    assert committed == gen_openapi.render(), "stale: run .venv/bin/python scripts/gen_openapi.py"
    served = http(stack.api_base + "/openapi.json")  # public: no API key
    assert served.status == 200 and served.json() == json.loads(committed)
    doc = json.loads(committed)
    assert len([op for ops in doc["paths"].values() for op in ops.values()]) == 24  # every Altegio operation
    reads = {p: ops["get"] for p, ops in doc["paths"].items() if "get" in ops}
    times = reads["/api/v1/book_times/{location_id}/{team_member_id}/{date}"]
    assert [p["name"] for p in times["parameters"]] == [
        "location_id",
        "team_member_id",
        "date",
        "service_ids[]",
    ]
    assert {"200", "404", "422", "502", "503", "504"} <= set(times["responses"])
    assert "X-Cache" in times["responses"]["200"]["headers"]


def test_the_api_key_is_required(stack):
    assert http(stack.api_base + "/bookform/1").status == 403
    assert http(stack.api_base + "/bookform/1", {"x-api-key": "wrong-key-0000000000000"}).status == 403
    assert http(stack.api_base + "/bookform/1", {"x-api-key": stack.api_key}).status == 200
