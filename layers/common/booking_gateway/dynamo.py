"""The container's one low-level DynamoDB client, shared by the cache and the budget.

botocore directly: boto3's resource layer (and the s3transfer it imports) adds ~100 ms to a cold start
and buys nothing for a handful of single-item calls. Short timeouts and one retry, so a DynamoDB outage
degrades a request (cache bypass, local limiter) within a second or two instead of hanging it.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.session import get_session

from . import container

CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "max_attempts": 2},
    max_pool_connections=16,
)
# The budget's calls: no hidden retries (botocore would resend an old stamp after its backoff, and its
# throttling backoff of up to seconds outlasts a request); budget.py retries briefly, with fresh stamps.
NO_RETRY = CONFIG.merge(Config(retries={"mode": "standard", "max_attempts": 1}))
Unavailable = (BotoCoreError, ClientError)
_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
}


def client() -> Any:
    """The client for everything but the budget's stamps (botocore retries once on throttling)."""
    return container.get("dynamo.client", lambda: _session().create_client("dynamodb", config=CONFIG))


def stamp_client() -> Any:
    """The budget's client: no retries of its own."""
    return container.get("dynamo.stamp_client", lambda: _session().create_client("dynamodb", config=NO_RETRY))


def _session() -> Any:
    return container.get("dynamo.session", get_session)  # the second client reuses its service model


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and os.environ.get("AWS_REGION"):
    # In Lambda, build the clients (~80 ms: the service model) during init, with the boosted CPU and
    # before any request waits; elsewhere (tests, the local stack) lazily, once the environment is set.
    client()
    stamp_client()


def throttled(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _THROTTLED


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
