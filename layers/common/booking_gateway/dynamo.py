"""The container's one botocore session and the low-level DynamoDB clients built from it, shared by the
cache, the budget, the holds, the limits and the idempotency store (Secrets Manager's client comes from
the same session: partner_token.py, webhooks.py).

botocore directly: boto3's resource layer (and the s3transfer it imports) adds ~100 ms to a cold start
and buys nothing for a handful of single-item calls. Short timeouts and one retry, so a DynamoDB outage
degrades a request (cache bypass, local limiter) within a second or two instead of hanging it.

Every client (the idempotency store's too: `guard`) is bounded by the invocation's time (deadline.py):
a call with nothing left fails at once with OutOfTime (one of `Unavailable`, so every caller's fallback
applies), and on a botocore whose attempts carry a request context each attempt's read timeout is cut to
what is left. The pinned one (the python3.13 runtime's 1.40.4) has none: an attempt started with little
left may overrun by up to CONFIG's read timeout less MIN_CALL, which deadline.MARGIN mostly covers.
A call that got no answer at all (timeout, connection failure) marks DynamoDB stalled for the rest of
the invocation: later calls fail at once instead of each waiting out its timeouts (a hung table cost a
booking 16 s and its answer).
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NoConnection
from botocore.loaders import Loader
from botocore.session import get_session

from . import container, deadline

CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "total_max_attempts": 2},  # one retry (max_attempts counts retries)
    max_pool_connections=16,
)
# The budget's calls: no hidden retries (botocore would resend an old stamp after its backoff, and its
# throttling backoff of up to seconds outlasts a request); budget.py retries briefly, with fresh stamps.
NO_RETRY = CONFIG.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
MIN_CALL = 0.2  # seconds: less left than this in the invocation and a call is not even tried
STALLED = "dynamodb stalled"  # deadline.Invocation.noted: no answer from DynamoDB in this invocation


class OutOfTime(BotoCoreError):
    """The invocation has no time left for this DynamoDB call, or DynamoDB stalled earlier in it."""

    fmt = "DynamoDB call not made: {reason}"


Unavailable = (BotoCoreError, ClientError)
_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
}


# The AWS services the layer calls; the session's loader knows them without listing botocore's data.
SERVICES = ("dynamodb", "secretsmanager")


def client() -> Any:
    """The client for everything but the budget's stamps (botocore retries once on throttling)."""
    return container.get("dynamo.client", lambda: guard(session().create_client("dynamodb", config=CONFIG)))


def stamp_client() -> Any:
    """The budget's client: no retries of its own."""
    return container.get(
        "dynamo.stamp_client", lambda: guard(session().create_client("dynamodb", config=NO_RETRY))
    )


def store_client() -> Any:
    """The idempotency store's client: tried even after a stall elsewhere (saving a booking's answer
    prevents doubles). Built on first use: only POST book_record with a key needs it."""
    return container.get(
        "dynamo.store_client",
        lambda: guard(session().create_client("dynamodb", config=CONFIG), fail_fast=False),
    )


def guard(dynamodb: Any, *, fail_fast: bool = True) -> Any:
    """Bound a DynamoDB client's calls by the invocation's time left; with `fail_fast`, also skip them
    once DynamoDB stalled in this invocation (the idempotency store opts out: saving a booking's answer
    is worth its own try). Returns the client."""
    events = dynamodb.meta.events
    events.register("before-send.dynamodb", _bound_attempt)
    if fail_fast:
        events.register("before-call.dynamodb", _skip_if_stalled)
    events.register("after-call-error.dynamodb", _note_stall)
    return dynamodb


def _skip_if_stalled(**_: Any) -> None:
    now = deadline.current()
    if now is not None and STALLED in now.noted:
        raise OutOfTime(reason="DynamoDB did not answer earlier in this invocation")


def _bound_attempt(request: Any, **_: Any) -> None:
    """Each attempt (botocore's retries too) reads at most until the invocation's limit."""
    left = deadline.left()
    if left is None:
        return
    if left < MIN_CALL:
        raise OutOfTime(reason="the invocation has no time left")
    context = getattr(request, "context", None)
    if isinstance(context, dict):
        context["read_timeout"] = min(left, context.get("read_timeout") or CONFIG.read_timeout)


def _note_stall(exception: Exception, **_: Any) -> None:
    now = deadline.current()
    if now is not None and isinstance(exception, HTTPClientError | NoConnection | OutOfTime):
        now.noted.add(STALLED)


class _KnownServices(Loader):
    """botocore's loader, minus the listing of every service's folder (~400 folders, ~2,500 stat calls,
    a quarter of building the first client) that it does only to learn that a service exists."""

    def list_available_services(self, type_name: str) -> list[str]:
        return list(SERVICES)


def _build_session() -> Any:
    built = get_session()
    built.register_component("data_loader", _KnownServices())
    return built


def session() -> Any:
    """The container's botocore session: every client shares its loaded endpoint data and models (a
    second DynamoDB client costs ~3 ms; a session of its own, as boto3 builds, ~40 ms more)."""
    return container.get("dynamo.session", _build_session)


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
