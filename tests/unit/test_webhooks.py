"""webhooks.py: who may deliver (secret, addresses), what a delivery must be, and what each change does to
the cache's generations, notes and kept positions (moto's DynamoDB and Secrets Manager in-process)."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from booking_gateway import cache, positions, webhooks
from booking_gateway.errors import Rejected

SECRET = "unit-webhook-secret-0123456789abcdef"
DAY, NEXT = "2026-12-01", "2026-12-02"
WHEN = f"{DAY}T10:00:00-05:00"


def event(body, *, secret_header: str | None = None, source: str = "198.51.100.7", b64: bool = False) -> dict:
    text = body if isinstance(body, str) else json.dumps(body)
    headers = {"X-Webhook-Secret": secret_header} if secret_header else {}
    if b64:
        text = base64.b64encode(text.encode()).decode()
    return {
        "body": text,
        "isBase64Encoded": b64,
        "headers": headers,
        "requestContext": {"identity": {"sourceIp": source}},
    }


def record(rid: int = 1, status: str = "create", when: str = WHEN, **data) -> dict:
    return {
        "company_id": 202,
        "resource": "record",
        "resource_id": rid,
        "status": status,
        "data": {
            "id": rid,
            "staff_id": 2021,
            "datetime": when,
            "seance_length": 3600,
            "length": 3600,
            "services": [{"id": 20011, "title": "Cut"}],
            "client": {"name": "Ann Client", "phone": "+19175550100"},
            "deleted": False,
            "last_change_date": "2026-11-30T09:00:00-0500",
            **data,
        },
    }


@pytest.fixture
def hooks(ddb, settings_env):
    """The cache table (ddb) and the webhook secret in Secrets Manager, both in moto."""
    settings_env(WEBHOOK_SECRET_ID="unit/webhook")
    value = json.dumps({"value": SECRET})
    boto3.client("secretsmanager").create_secret(Name="unit/webhook", SecretString=value)
    return ddb


def gens(location: int = 202, *scopes: str) -> dict[str, int]:
    """The generation of the location (key "") and of each scope."""
    out = {"": cache.read("c#none", location, None)[1].location}
    for scope in scopes:
        out[scope] = cache.read("c#none", location, scope)[1].scoped
    return out


def noted(scope: str, gen: int) -> list:
    """The intervals a generation's note took."""
    return [tuple(i) for i in json.loads(cache.notes(202, scope, [gen])[0])["taken"]]


def freed(scope: str, gen: int) -> bool:
    """Did the change noted for that generation free time (its lists then are refreshed, not hits)?"""
    return json.loads(cache.notes(202, scope, [gen])[0])["freed"]


def answer(resp) -> tuple[int, dict]:
    return resp.status_code, json.loads(resp.body)


# -- who ------------------------------------------------------------------------------------------------
def test_the_right_secret_in_the_path_or_the_header(hooks):
    assert answer(webhooks.receive(event(record()), SECRET))[0] == 200
    assert answer(webhooks.receive(event(record(2), secret_header=SECRET), None))[0] == 200


@pytest.mark.parametrize(
    ("path_secret", "header", "status"),
    [
        (None, None, 401),
        ("", None, 401),
        ("wrong", None, 403),
        (SECRET[:-1], None, 403),
        (None, "wrong", 403),
    ],
)
def test_no_or_a_wrong_secret_is_refused_and_changes_nothing(hooks, path_secret, header, status):
    before = gens(202, DAY, "days")
    code, body = answer(webhooks.receive(event(record(), secret_header=header), path_secret))
    assert code == status and body["success"] is False and body["data"] is None and body["meta"]["message"]
    assert gens(202, DAY, "days") == before


def test_the_secret_is_compared_in_constant_time(hooks, monkeypatch):
    seen = []
    real = webhooks.hmac.compare_digest
    monkeypatch.setattr(webhooks.hmac, "compare_digest", lambda a, b: seen.append((a, b)) or real(a, b))
    webhooks.receive(event(record()), "wrong")
    assert seen == [(b"wrong", SECRET.encode())]


def test_only_from_the_allowed_addresses_when_set(hooks, settings_env):
    settings_env(WEBHOOK_SECRET_ID="unit/webhook", WEBHOOK_SOURCE_CIDRS="203.0.113.0/24,2001:db8::/32")
    assert answer(webhooks.receive(event(record()), SECRET))[0] == 403
    assert answer(webhooks.receive(event(record(), source="203.0.113.9"), SECRET))[0] == 200
    assert answer(webhooks.receive(event(record(2), source="2001:db8::1"), SECRET))[0] == 200
    assert answer(webhooks.receive(event(record(3), source="not an address"), SECRET))[0] == 403


def test_without_its_secret_the_gateway_asks_altegio_to_deliver_again(ddb, settings_env):
    settings_env(WEBHOOK_SECRET_ID="unit/missing")
    resp = webhooks.receive(event(record()), SECRET)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == str(webhooks.RETRY_AFTER)


# -- what -----------------------------------------------------------------------------------------------
def test_a_record_event_is_parsed_with_its_data():
    hook = webhooks.parse(event(record(), b64=True))
    assert (hook.company_id, hook.resource, hook.resource_id, hook.status) == (202, "record", 1, "create")
    assert hook.data.staff_id == 2021 and [s.id for s in hook.data.services] == [20011]
    assert hook.data.last_change_date.utcoffset().total_seconds() == -5 * 3600


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("", 400),
        ("{not json", 400),
        ("[]", 422),
        ('{"resource": "record"}', 422),
        (json.dumps(record(status="moved")), 422),
        (json.dumps({**record(), "data": "x"}), 422),
        (json.dumps(record(datetime="2026-12-01T10:00:00")), 422),  # no offset: whose 10:00?
        (json.dumps(record(staff_id=None)), 422),
        (json.dumps(record(length=-1)), 422),
        (json.dumps(record(id=2)), 422),
        (json.dumps({**record(), "resource": "re cord"}), 422),
        ('{"a":' * 5000 + "1" + "}" * 5000, 422),  # JSON, but no event
        (json.dumps(record(comment="x" * 70_000)), 413),
    ],
)
def test_what_is_not_a_record_event_gets_a_clear_4xx(body, status):
    with pytest.raises(Rejected) as refused:
        webhooks.parse(event(body))
    assert refused.value.status == status and refused.value.message


def test_a_deletion_needs_no_time():
    hook = webhooks.parse(event(record(status="delete", datetime=None, staff_id=None)))
    assert hook.data.datetime is None


# -- apply ----------------------------------------------------------------------------------------------
def apply(body: dict) -> str:
    return webhooks.apply(webhooks.parse(event(body)))


def test_created_takes_its_interval_on_its_day(hooks):
    assert apply(record()) == "applied"
    g = gens(202, DAY, "days")
    assert g[DAY] == 1 and g["days"] == 1 and g[""] == 0
    start = 1796137200.0  # 2026-12-01T10:00:00-05:00
    assert noted(DAY, 1) == noted("days", 1) == [(2021, start, start + 3600)]
    assert not freed(DAY, 1) and not freed("days", 1)  # took time only: lists from before stay fresh
    assert positions.recall(202, 1).day == DAY


def test_a_repeat_and_the_same_position_again_change_nothing(hooks):
    apply(record())
    assert apply(record()) == "repeat"
    later = record(last_change_date="2026-11-30T09:05:00-0500", comment="coffee")
    assert apply(later) == "unchanged"  # a new change time, the same place
    assert gens(202, DAY, "days") == {"": 0, DAY: 1, "days": 1}


def test_moved_frees_the_old_day_and_takes_the_new_interval(hooks):
    apply(record())
    later = "2026-11-30T09:05:00-0500"
    moved = record(status="update", when=f"{NEXT}T12:00:00-05:00", last_change_date=later)
    assert apply(moved) == "applied"
    g = gens(202, DAY, NEXT, "days")
    assert (g[DAY], g[NEXT], g["days"]) == (2, 1, 2)
    start = 1796230800.0  # 2026-12-02T12:00:00-05:00
    assert noted(DAY, 2) == noted(NEXT, 1) == [(2021, start, start + 3600)]
    assert freed(DAY, 2) and freed(NEXT, 1) and freed("days", 2)  # the old time is given back


def test_deleted_frees_its_day_with_nothing_taken(hooks):
    apply(record())
    assert apply(record(status="delete", last_change_date="2026-11-30T09:05:00-0500")) == "applied"
    assert gens(202, DAY)[DAY] == 2 and noted(DAY, 2) == [] and freed(DAY, 2)
    assert positions.recall(202, 1).deleted


def test_a_cancel_as_an_update_with_deleted_is_a_delete(hooks):
    apply(record())
    apply(record(status="update", deleted=True, last_change_date="2026-11-30T09:05:00-0500"))
    assert noted(DAY, 2) == [] and freed(DAY, 2) and positions.recall(202, 1).deleted


def test_an_older_change_after_a_newer_one_takes_nothing_back(hooks):
    gone = record(status="delete", last_change_date="2026-11-30T09:05:00-0500")
    assert apply(gone) == "applied"
    before = gens(202, DAY, "days")
    assert apply(record()) == "older"  # its create, delivered late
    assert gens(202, DAY, "days") == before and positions.recall(202, 1).deleted


def test_an_update_of_a_record_never_seen_refreshes_the_whole_location(hooks):
    assert apply(record(status="update")) == "applied"
    assert gens(202, DAY, "days") == {"": 1, DAY: 0, "days": 0}  # where it was is not known
    assert positions.recall(202, 1).day == DAY  # from now on it is


def test_a_record_without_a_length_bumps_without_a_note(hooks):
    apply(record(length=0, seance_length=0))
    assert gens(202, DAY)[DAY] == 1 and cache.notes(202, DAY, [1]) is None


@pytest.mark.parametrize(
    "body",
    [
        {"company_id": 202, "resource": "client", "resource_id": 5, "status": "update", "data": {}},
        {**record(), "company_id": 999},
        record(activity_id=77),
    ],
)
def test_other_resources_locations_and_group_events_are_ignored(hooks, body):
    assert apply(body) == "ignored"
    assert gens(202, DAY, "days") == {"": 0, DAY: 0, "days": 0}


def test_dynamodb_failing_asks_altegio_to_deliver_again(hooks, monkeypatch):
    from botocore.exceptions import ClientError

    def down(*args, **kwargs):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "UpdateItem")

    monkeypatch.setattr(cache, "bump", down)
    resp = webhooks.receive(event(record()), SECRET)
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    monkeypatch.undo()
    assert answer(webhooks.receive(event(record()), SECRET)) == (
        200,
        {"success": True, "data": {"outcome": "applied"}, "meta": []},
    )  # not taken for a repeat: nothing was marked applied


def test_the_day_is_the_locations_own_even_when_the_time_comes_in_utc(hooks):
    late = record(when="2026-12-02T03:30:00+00:00", date="2026-12-01 22:30:00")  # 22:30 in New York
    assert apply(late) == "applied"
    assert gens(202, DAY, NEXT) == {"": 0, DAY: 1, NEXT: 0}


# -- the delivery's path ------------------------------------------------------------------------------------
@pytest.fixture
def calls(hooks):
    """Every DynamoDB operation the cache's client makes, in order (botocore's own events)."""
    from booking_gateway import dynamo

    made: list[str] = []

    def seen(model, **kwargs):
        made.append(model.name)

    client = dynamo.client()
    client.meta.events.register("before-call.dynamodb.*", seen)
    yield made
    client.meta.events.unregister("before-call.dynamodb.*", seen)


def test_a_booking_reported_costs_six_dynamodb_calls(calls):
    """A delivery waits on every call (and later deliveries on it): whether it was applied and where the
    record was are read together, the notes of every bumped scope written together."""
    cache.heard(202)  # the container's first delivery there also notes it heard (the test below)
    calls.clear()
    assert webhooks.apply(webhooks.parse(event(record()))) == "applied"
    assert calls == ["BatchGetItem", "UpdateItem", "UpdateItem", "BatchWriteItem", "PutItem", "PutItem"]
    calls.clear()
    assert webhooks.apply(webhooks.parse(event(record()))) == "repeat"
    assert calls == ["BatchGetItem"]


def test_what_dynamodb_leaves_unprocessed_is_done_one_by_one(hooks, monkeypatch):
    from booking_gateway import dynamo

    client = dynamo.client()
    real_get, real_write = client.batch_get_item, client.batch_write_item

    def throttled_get(RequestItems):  # noqa: N803 - boto3's own parameter name
        (name,) = RequestItems
        return {"Responses": {name: []}, "UnprocessedKeys": RequestItems}

    def throttled_write(RequestItems):  # noqa: N803
        return {"UnprocessedItems": RequestItems}

    monkeypatch.setattr(client, "batch_get_item", throttled_get)
    monkeypatch.setattr(client, "batch_write_item", throttled_write)
    moved = record(
        status="update", when=f"{NEXT}T12:00:00-05:00", last_change_date="2026-11-30T09:05:00-0500"
    )
    assert webhooks.apply(webhooks.parse(event(record()))) == "applied"
    assert webhooks.apply(webhooks.parse(event(moved))) == "applied"  # the first's position was read back
    assert webhooks.apply(webhooks.parse(event(moved))) == "repeat"
    monkeypatch.setattr(client, "batch_get_item", real_get)
    monkeypatch.setattr(client, "batch_write_item", real_write)
    start = 1796230800.0  # 2026-12-02T12:00:00-05:00
    assert noted(DAY, 2) == noted(NEXT, 1) == noted("days", 2) == [(2021, start, start + 3600)]
    assert freed(DAY, 2) and not freed(DAY, 1)


def test_a_container_notes_a_locations_webhooks_heard_once_in_a_while(calls, clock):
    def heard_at() -> float:
        item = boto3.client("dynamodb").get_item(TableName=cache._table(), Key={"pk": {"S": "gen#202"}})
        return float(item.get("Item", {}).get("wh", {"N": "0"})["N"])

    assert webhooks.apply(webhooks.parse(event(record(1)))) == "applied"
    assert calls.count("UpdateItem") == 3 and heard_at() == pytest.approx(clock.now(), abs=0.01)
    first = heard_at()
    calls.clear()
    clock.advance(cache.HEARD_NOTE - 1)
    assert webhooks.apply(webhooks.parse(event(record(2)))) == "applied"
    assert calls.count("UpdateItem") == 2 and heard_at() == first  # noted lately: not again
    clock.advance(1)
    assert webhooks.apply(webhooks.parse(event(record(3)))) == "applied"
    assert heard_at() == pytest.approx(clock.now(), abs=0.01)
