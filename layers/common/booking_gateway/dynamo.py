"""The container's one low-level DynamoDB client, shared by the cache and the budget.

botocore directly: boto3's resource layer (and the s3transfer it imports) adds ~100 ms to a cold start
and buys nothing for a handful of single-item calls. Short timeouts and one retry, so a DynamoDB outage
degrades a request (cache bypass, local limiter) within a second or two instead of hanging it.
"""

from __future__ import annotations

import functools
import os
import threading
from decimal import Decimal
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.session import get_session

CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "max_attempts": 2},
    max_pool_connections=16,
)
Unavailable = (BotoCoreError, ClientError)


_creating = threading.Lock()


@functools.cache  # per container; the local stack clears it when the environment changes
def client() -> Any:
    # One creation even when threads (the local stack) arrive together: each costs ~80 ms of CPU.
    with _creating:
        return _create()


@functools.cache
def _create() -> Any:
    return get_session().create_client("dynamodb", config=CONFIG)


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and os.environ.get("AWS_REGION"):
    # In Lambda, build the client (~80 ms: the service model) during init, with the boosted CPU and
    # before any request waits; elsewhere (tests, the local stack) lazily, once the environment is set.
    client()


def conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def s(value: str) -> dict:
    return {"S": value}


def n(value: float | int | Decimal) -> dict:
    if isinstance(value, float):
        value = round(value, 4)
    return {"N": str(value)}


def num(item: dict, name: str, default: float = 0.0) -> float:
    """A number attribute of a raw (low-level) item."""
    attr = item.get(name)
    return float(attr["N"]) if attr and "N" in attr else default
