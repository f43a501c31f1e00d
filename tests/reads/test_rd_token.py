"""The partner token: rotation without redeploy, a clear 502 when it is refused, never leaked."""

from __future__ import annotations

import json

import boto3
from rd_kit import upstream_calls


def _set_secret(stack, token: str) -> None:
    sm = boto3.client("secretsmanager", endpoint_url=stack.moto_url)
    name = [s["Name"] for s in sm.list_secrets()["SecretList"]][0]
    sm.put_secret_value(SecretId=name, SecretString=json.dumps({"token": token}))


def test_rotation_is_picked_up_after_one_401(local_stack, gw):
    assert gw("/bookform/1").status == 200  # the old token is now cached in the container
    local_stack.sandbox.configure(partner_token="rotated-partner-token-0001")
    _set_secret(local_stack, "rotated-partner-token-0001")
    try:
        answer = gw("/bookform/2")
        assert answer.status == 200
        assert upstream_calls(local_stack, "/bookform/2") == 2  # one 401, one success
    finally:
        _set_secret(local_stack, "sandbox-partner-token")
        local_stack.sandbox.reset(config=True)
        gw("/i18n/en-US")  # back on the old token for the next tests


def test_refused_token_is_a_clear_502_and_never_returned(local_stack, gw):
    local_stack.sandbox.configure(revoked_tokens=["sandbox-partner-token"])
    try:
        answer = gw("/book_staff/202")
    finally:
        local_stack.sandbox.reset(config=True)
    assert answer.status == 502
    assert answer.json()["meta"]["message"] == "The gateway could not authenticate with Altegio."
    assert b"sandbox-partner-token" not in answer.body
