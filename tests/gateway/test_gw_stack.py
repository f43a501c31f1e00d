"""Through the local stack (HTTP, API key, moto server, sandbox): the read path end to end, the event
files, and the OpenAPI document (committed = freshly generated = served)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest
from gw_kit import READ_FUNCTIONS, ROOT

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


def http(url: str, headers: dict) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers={"Accept": "application/vnd.api.v2+json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@pytest.fixture
def stack(local_stack):
    local_stack.reset()
    return local_stack


@pytest.mark.parametrize("target", READS)
def test_through_the_stack_a_miss_is_altegios_answer_and_hits_stay_local(stack, target):
    key = {"x-api-key": stack.api_key}
    status, headers, body = http(stack.api_base + target, key)
    assert (status, headers["x-cache"]) == (200, "miss")
    direct = http(stack.sandbox.api_base + target, {"Authorization": "Bearer sandbox-partner-token"})
    assert (status, json.loads(body)) == (direct[0], json.loads(direct[2]))
    seen = len(stack.sandbox.requests())
    for _ in range(2):
        again = http(stack.api_base + target, key)
        assert (again[0], again[1]["x-cache"], again[2]) == (200, "hit", body)
        assert "age" in again[1] and "cache-control" in again[1]
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
    status, _, body = http(stack.api_base + "/openapi.json", {})
    assert status == 200 and json.loads(body) == json.loads(committed)
    doc = json.loads(committed)
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
