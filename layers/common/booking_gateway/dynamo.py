"""The container's one low-level DynamoDB client, shared by the cache and the budget.

botocore directly: boto3's resource layer (and the s3transfer it imports) adds ~100 ms to a cold start
and buys nothing for a handful of single-item calls. Short timeouts and one retry, so a DynamoDB outage
degrades a request (cache bypass, local limiter) within a second or two instead of hanging it.
"""

from __future__ import annotations

import functools
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


@functools.cache  # per container; the local stack clears it when the environment changes
def client() -> Any:
    return get_session().create_client("dynamodb", config=CONFIG)


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
