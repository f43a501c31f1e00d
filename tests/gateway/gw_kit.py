"""Helpers of the read-path suite (tests/gateway): REST proxy events, handlers loaded once, answers, and
plain HTTP for the tests through the local stack."""

from __future__ import annotations

import functools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "common"
PARTNER_TOKEN = "sandbox-partner-token"
READ_FUNCTIONS = {
    "bookform": "BookformFunction",
    "i18n": "I18nFunction",
    "privacy_policy": "PrivacyPolicyFunction",
    "book_services": "BookServicesFunction",
    "book_staff": "BookStaffFunction",
    "book_staff_seances": "BookStaffSeancesFunction",
    "book_dates": "BookDatesFunction",
    "book_times": "BookTimesFunction",
    "openapi": "OpenApiFunction",
}
_loaded: dict[str, Any] = {}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@functools.cache
def template():
    from devstack.template import load

    return load(parameters={"PageApiKeyValue": "local-page-api-key-0123456789"})


def reset_layer() -> None:
    """Start the layer over as a new container would (booking_gateway.container): settings, DynamoDB
    clients, the secret, the budget's fallback limiter and pause, the values registered for masking (a
    test must not pass on an earlier test's tokens)."""
    from booking_gateway import container

    container.reset()


def rest_event(target: str, headers: dict[str, str] | None = None, method: str = "GET") -> dict:
    """An API Gateway REST proxy event (v1) for `target` (path under /api/v1, with its query)."""
    parsed = urllib.parse.urlsplit("/api/v1" + target)
    pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        multi.setdefault(k, []).append(v)
    hdrs = {"Accept": "application/vnd.api.v2+json", "x-api-key": "test-key", **(headers or {})}
    return {
        "resource": parsed.path,
        "path": parsed.path,
        "httpMethod": method,
        "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": parsed.path,
            "httpMethod": method,
            "path": "/dev" + parsed.path,
            "stage": "dev",
            "requestId": "test-request",
            "identity": {"sourceIp": "203.0.113.9", "apiKey": "test-key"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def http(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Answer:
    """A plain HTTP request (through the local stack, or straight to the sandbox); errors are answers too."""
    req = urllib.request.Request(
        url, headers={"Accept": "application/vnd.api.v2+json", **(headers or {})}, method=method
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, hdrs, body = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        status, hdrs, body = exc.code, exc.headers, exc.read()
    return Answer(status, {k.lower(): v for k, v in hdrs.items()}, body.decode("utf-8", "replace"))


def as_answer(result: dict) -> Answer:
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    for k, values in (result.get("multiValueHeaders") or {}).items():
        headers[k.lower()] = ", ".join(values)
    return Answer(result["statusCode"], headers, result.get("body") or "")


def pool(folder: str):
    """Warm instances of functions/<folder>/app.py, one invocation at a time each (as Lambda runs them):
    Powertools' resolver keeps the current event on the app, so one module must not serve two threads."""
    if folder not in _loaded:
        from devstack.runtime import FunctionPool

        _loaded[folder] = FunctionPool(template().functions[READ_FUNCTIONS[folder]], max_instances=48)
    return _loaded[folder]


class Gateway:
    def __init__(self, sandbox, template) -> None:
        self.sandbox = sandbox
        self.template = template
        self.since = sandbox.requests()[-1]["seq"] if sandbox.requests() else 0
        self.began = time.time()  # a slow request of the test before may be logged after this one began

    def invoke(self, folder: str, event: dict) -> Answer:
        return as_answer(pool(folder).invoke(event))

    def get(self, target: str, headers: dict[str, str] | None = None) -> Answer:
        folder = target.lstrip("/").split("/")[0].split("?")[0]
        if folder == "openapi.json":
            folder = "openapi"
        return self.invoke(folder, rest_event(target, headers))

    def upstream(self, path_part: str = "") -> list[dict]:
        mine = [r for r in self.sandbox.requests(self.since) if r["arrived"] >= self.began]
        return [r for r in mine if path_part in r["path"]]

    def cache_items(self, prefix: str = "c#") -> list[dict]:
        import boto3

        items = boto3.client("dynamodb").scan(TableName="CacheTable")["Items"]
        return [i for i in items if i["pk"]["S"].startswith(prefix)]

    def update_items(self, prefix: str, **numbers: float) -> None:
        """Overwrite number attributes of cache items (to age them: fresh_until, expires_at)."""
        import boto3

        client = boto3.client("dynamodb")
        for item in self.cache_items(prefix):
            item.update({k: {"N": str(v)} for k, v in numbers.items()})
            client.put_item(TableName="CacheTable", Item=item)

    def reset_budget(self) -> None:
        """A fresh upstream budget: slots, minute counts and any Retry-After pause forgotten."""
        import boto3
        from booking_gateway import container

        client = boto3.client("dynamodb")
        for item in client.scan(TableName="BudgetTable")["Items"]:
            client.delete_item(TableName="BudgetTable", Key={"pk": item["pk"]})
        container.reset("budget.local")  # the fallback limiter's calls and pause too

    def set_secret(self, token: str) -> None:
        import boto3

        name = next(iter(self.template.secrets.values())).name
        boto3.client("secretsmanager").put_secret_value(
            SecretId=name, SecretString=json.dumps({"token": token})
        )


def provision(template) -> None:
    """Tables (key schema and TTL from template.yaml) and the partner-token secret, inside mock_aws."""
    import boto3

    ddb = boto3.client("dynamodb")
    for table in template.tables.values():
        ddb.create_table(
            TableName=table.name,
            KeySchema=table.properties["KeySchema"],
            AttributeDefinitions=table.properties["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
        )
        if table.ttl_attribute:
            ddb.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    for secret in template.secrets.values():
        boto3.client("secretsmanager").create_secret(
            Name=secret.name, SecretString=json.dumps({"token": PARTNER_TOKEN})
        )


def make_moto_dynamodb_atomic() -> None:
    """Give moto's DynamoDB what real DynamoDB guarantees: each write (and its condition) is atomic.

    moto checks a ConditionExpression and then writes, without a lock, so two threads can both pass
    `attribute_not_exists(...)`: under load several callers then "win" one lock or budget slot, which
    real DynamoDB never allows. Idempotent; affects this process (mock_aws, ThreadedMotoServer)."""
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_gw_atomic", False):
        return
    lock = threading.RLock()

    def locked(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            with lock:
                return method(self, *args, **kwargs)

        return run

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))
    DynamoDBBackend._gw_atomic = True
