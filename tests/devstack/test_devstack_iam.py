"""Least privilege, proven on the local stack: every AWS call a function makes is checked against its
policies in template.yaml and refused like IAM refuses it (devstack/iam.py).

With the real policies the whole suite runs without one refusal (tests/conftest.py fails a test that
caused one); here a function loses an action its code uses and the stack must refuse exactly that.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from datetime import date

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack import iam
from devstack.invoke import move_past_dates
from devstack.template import ROOT

REGION = "eu-west-1"
CACHE = f"arn:aws:dynamodb:{REGION}:123456789012:table/CacheTable"
BUDGET = f"arn:aws:dynamodb:{REGION}:123456789012:table/BudgetTable"
TOKEN = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:local/altegio-partner-token"


def event(name: str) -> dict:
    text, _ = move_past_dates((ROOT / "events" / f"{name}.json").read_text(), date.today())
    return json.loads(text)


@contextlib.contextmanager
def policies(stack, logical_id: str, change):
    """The function runs with `change(statements)` instead of its template policies, then gets them back."""
    pool = stack.functions.pools[logical_id]
    saved = pool.caller
    pool.caller = iam.Caller(dataclasses.replace(saved.fn, policies=change(saved.fn.policies)), saved.check)
    try:
        yield
    finally:
        pool.caller = saved


def without(action: str, resource: str):
    def change(statements):
        out = []
        for st in statements:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            kept = [a for a in actions if not (a == action and st["Resource"] == resource)]
            if kept:
                out.append({**st, "Action": kept})
        return tuple(out)

    return change


@pytest.mark.access_denied
def test_a_read_without_cache_put_is_refused_that_put_only(local_stack):
    local_stack.reset()
    with policies(local_stack, "BookServicesFunction", without("dynamodb:PutItem", CACHE)):
        first = local_stack.invoke("BookServicesFunction", event("book_services"))
    assert first["statusCode"] == 200  # the layer serves without caching, as on a DynamoDB fault
    assert local_stack.access_denied == [f"BookServicesFunction: dynamodb:PutItem on {CACHE}"]
    assert entries(local_stack) == []
    local_stack.access_denied.clear()
    # With the template's policy the same read is allowed and cached.
    assert local_stack.invoke("BookServicesFunction", event("book_services"))["statusCode"] == 200
    assert local_stack.access_denied == []
    assert [pk.split("#")[1] for pk in entries(local_stack)] == ["book_services"]


def entries(stack) -> list[str]:
    return [i["pk"] for i in stack.dynamodb.Table("CacheTable").scan()["Items"] if i["pk"].startswith("c#")]


@pytest.mark.access_denied
def test_each_function_reads_the_token_under_its_own_role(local_stack):
    """Another function's cached token must not hide a missing permission: the parameter cache is per
    function here, as containers are per function in Lambda."""
    local_stack.reset()
    assert local_stack.invoke("BookStaffFunction", event("book_staff"))["statusCode"] == 200  # token cached
    mark = len(local_stack.sandbox.requests())
    with policies(local_stack, "BookCodeFunction", without("secretsmanager:GetSecretValue", TOKEN)):
        answer = local_stack.invoke("BookCodeFunction", event("book_code"))
    assert local_stack.access_denied == [f"BookCodeFunction: secretsmanager:GetSecretValue on {TOKEN}"]
    body = json.loads(answer["body"])
    assert answer["statusCode"] >= 500 and body["success"] is False and body["data"] is None
    assert not [r for r in local_stack.sandbox.requests(mark) if "book_code" in r.get("path", "")]


def test_refusal_looks_like_iams_and_nothing_else_changes(local_stack):
    fn = local_stack.template.functions["BookCodeFunction"]  # budget and token only: no cache access
    check = iam.AccessCheck()
    ddb = boto3.client("dynamodb", endpoint_url=local_stack.moto_url, region_name=REGION)
    token = iam.current.set(iam.Caller(fn, check))
    try:
        with pytest.raises(ClientError) as refused:
            ddb.get_item(TableName="CacheTable", Key={"pk": {"S": "x"}})
        ddb.batch_get_item(RequestItems={"BudgetTable": {"Keys": [{"pk": {"S": "x"}}]}})  # allowed
    finally:
        iam.current.reset(token)
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        "User: arn:aws:sts::123456789012:assumed-role/BookCodeFunctionRole/BookCodeFunction is not "
        f"authorized to perform: dynamodb:GetItem on resource: {CACHE} because no identity-based policy "
        "allows the dynamodb:GetItem action"
    )
    assert check.denied == [f"BookCodeFunction: dynamodb:GetItem on {CACHE}"]
    ddb.get_item(TableName="CacheTable", Key={"pk": {"S": "x"}})  # outside a function: the test's own look-up


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("dynamodb", "GetItem", {"TableName": "T"}, [("dynamodb:GetItem", "table/T")]),
        ("dynamodb", "Query", {"TableName": "T", "IndexName": "I"}, [("dynamodb:Query", "table/T/index/I")]),
        (
            "dynamodb",
            "BatchGetItem",
            {"RequestItems": {"A": {}, "B": {}}},
            [("dynamodb:BatchGetItem", "table/A"), ("dynamodb:BatchGetItem", "table/B")],
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"TableName": "A"}}, {"ConditionCheck": {"TableName": "B"}}]},
            [("dynamodb:PutItem", "table/A"), ("dynamodb:ConditionCheckItem", "table/B")],
        ),
        ("dynamodb", "ListTables", {}, [("dynamodb:ListTables", "*")]),
        (
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": "s1"},
            [("secretsmanager:GetSecretValue", "secret:s1")],
        ),
        (
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": f"arn:aws:secretsmanager:{REGION}:123456789012:secret:s1-AbC123"},
            [("secretsmanager:GetSecretValue", "secret:s1")],
        ),
        ("s3", "GetObject", {"Bucket": "b", "Key": "k"}, [("s3:GetObject", "*")]),
    ],
)
def test_calls_become_the_actions_and_resources_iam_evaluates(service, operation, params, expected):
    got = iam.needed(service, operation, params, REGION)
    assert [(action, res.split(":", 5)[-1] if res != "*" else res) for action, res in got] == expected


def test_policy_evaluation_deny_wins_and_wildcards_match():
    allow = {"Effect": "Allow", "Action": ["DynamoDB:Get*"], "Resource": "arn:aws:dynamodb:*:*:table/C*"}
    deny = {"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:*:*:table/Cold"}
    table = "arn:aws:dynamodb:eu-west-1:1:table/"
    assert iam.allows((allow,), "dynamodb:GetItem", table + "Cache")  # actions: case-insensitive
    assert not iam.allows((allow,), "dynamodb:PutItem", table + "Cache")
    assert not iam.allows((allow,), "dynamodb:GetItem", table + "cache")  # resources: exact case
    assert not iam.allows((allow, deny), "dynamodb:GetItem", table + "Cold")
    assert iam.allows((allow, deny), "dynamodb:GetItemS", table + "Cold")
    assert not iam.allows((), "dynamodb:GetItem", table + "Cache")  # nothing allows by default
