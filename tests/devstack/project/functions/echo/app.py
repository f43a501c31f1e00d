"""Echo handlers for devstack's tests: the event back, plus what the runtime gave this copy."""

import json
import os
import threading
import time

import echo_layer  # the template's layer, on sys.path as in Lambda
from helper import NAME  # a private helper module of this function folder

COPY = object()  # one per loaded copy of this module
_lock = threading.Lock()
_active = 0


def lambda_handler(event, context):
    global _active
    with _lock:
        _active += 1
        overlap = _active
    try:
        time.sleep(float((event.get("queryStringParameters") or {}).get("sleep", 0)))
        if (event.get("queryStringParameters") or {}).get("decimal"):
            from decimal import Decimal

            return {"statusCode": 200, "body": Decimal("1.5")}
        body = {
            "event": event,
            "copy": id(COPY),
            "overlap": overlap,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "function_name": context.function_name,
            "memory": context.memory_limit_in_mb,
            "layer": echo_layer.NAME,
            "helper": NAME,
            "env": {k: os.environ.get(k) for k in ("UPSTREAM", "TABLE", "GREETING", "AWS_ENDPOINT_URL")},
        }
        return {
            "statusCode": 201 if event["httpMethod"] == "POST" else 200,
            "headers": {"Content-Type": "application/json", "X-Cache": "bypass", "Set-Cookie": "a=1"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Multi": ["x", "y"]},
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }
    finally:
        with _lock:
            _active -= 1


def explode(event, context):
    raise RuntimeError("boom")


def malformed(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}}


def binary(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": "iVBORw0K",
        "isBase64Encoded": True,
    }
