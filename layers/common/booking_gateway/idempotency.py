"""`Idempotency-Key` for POST book_record: Powertools idempotency on its own DynamoDB table.

    return idempotency.once(key, scope=[caller, location_id], payload=req.upstream(),
                            action=booking, context=app.lambda_context)   # bookings.book

- One upstream booking per (caller, location, key): the first request takes the key (an INPROGRESS
  record, conditional put), books, and stores its answer; repeats get that answer with
  `Idempotent-Replayed: true`.
- Concurrent duplicates wait (polling with backoff) until the first finishes and then return its answer;
  still in progress after the bound → 409 with Retry-After.
- The same key with a different body (validated and normalised, so whitespace and key order do not
  matter) → 422.
- What is stored: every answer Altegio gave (2xx and business errors), and an unknown outcome (timeout,
  5xx) so that a blind retry with the same key can never book twice. Nothing is stored when nothing
  happened upstream (budget spent, upstream auth failure, 429, Cloudflare's page, an error in Altegio's
  older shape): the key is released and a retry works.
- A stopped invocation (the function's timeout) leaves Powertools' INPROGRESS record to age out with it,
  and a retry would run the booking again: with "any team member" Altegio books another one. So right
  before the booking is written (altegio_client.on_first_write) a `sent#` mark is put beside the records;
  a retry that finds it sends nothing and gets the unknown outcome's 504 (errors.SentBefore), which is
  stored, and the booked days are bumped as for a timeout. A booking Altegio did nothing with (429,
  Cloudflare's page, the token refused) takes its mark back, so the key can book.
- The key is scoped by the caller's API key, so one partner can never replay another's answer (which
  carries a record_hash).
- The store's calls are bounded by the invocation's time (dynamo.guard): a stalled table fails within
  seconds, never past the function's timeout (where API Gateway's bare 502 would lose the answer).
- The store unavailable BEFORE the booking (throttled, down, stalled) → 503 + Retry-After, nothing sent:
  a booking that could not be protected against a double is never sent. After the booking, the real
  answer is returned. A key that exists but cannot be read → 409 + Retry-After.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from botocore.exceptions import BotoCoreError, ClientError

from . import altegio_client, clock, container, deadline, dynamo
from .envelope import NO_STORE, error_response
from .errors import OutOfTime, Rejected, SentBefore
from .forward import WriteResult, respond
from .observability import logger
from .settings import get_settings

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Powertools stamps a record's expiry and checks it with datetime.now() (persistence/base.py
# _get_expiry_timestamp, dynamodb.py _put_record's ":now"), not with clock.py: overriding only the stamp
# would split one rule across two clocks. Tests pin both at once: the `clock` fixture's pin_datetime().
EXPIRES_AFTER_SECONDS = 24 * 3600
WAIT_MARGIN_SECONDS = 2.0  # a duplicate waits for the first request: its upstream write timeout + this
WAIT_SECONDS: float | None = None  # fixed wait instead (tests)
STORE_RETRY_AFTER = 2  # seconds, when the store could not take the key before a booking
SENT = "sent#"  # the mark of a booking written to Altegio, beside Powertools' records
UNMARK_TRIES = 3
# Seconds of the invocation the mark's put leaves for taking it back: a put that took all the time left
# (throttled, on a slow table) made a booking refused at its send keep its mark (the LONG load run).
UNMARK_RESERVE = 2.0
MARK_MIN_LEFT = UNMARK_RESERVE + dynamo.CONFIG.read_timeout  # less left: not marked, not sent (OutOfTime)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def key_from(value: str | None) -> str | None:
    """The Idempotency-Key header value, validated; None when absent."""
    if value is None or value == "":
        return None
    value = value.strip()
    if value.startswith('"') and value.endswith('"') and len(value) > 2:  # the IETF draft's sf-string form
        value = value[1:-1]
    if not _KEY.match(value):
        raise Rejected(400, f"{HEADER} must be 1-255 printable ASCII characters without spaces.")
    return value


def caller_of(event: Mapping[str, Any]) -> str:
    """Who is asking: the API key id API Gateway resolved (or a hash of the key itself)."""
    identity = ((event.get("requestContext") or {}).get("identity")) or {}
    if identity.get("apiKeyId"):
        return f"key-id:{identity['apiKeyId']}"
    if identity.get("apiKey"):
        return "key:" + hashlib.sha256(str(identity["apiKey"]).encode()).hexdigest()[:32]
    return "anonymous"


def _sent_id(data: dict) -> str:
    scoped = json.dumps([data["scope"], data["key"]], sort_keys=True, default=str)
    return SENT + hashlib.sha256(scoped.encode()).hexdigest()


def _mark_sent(item_id: str, marked: list[str]) -> None:
    """Right before the booking is written. Already there: an earlier invocation with this key wrote it
    and stopped before its answer was kept, so SentBefore and nothing is sent. The table failing is no
    refusal: without the mark only a stopped invocation's retry is unprotected, as before it existed."""
    left = deadline.left()
    if left is not None and left < MARK_MIN_LEFT:  # sent now, its answer would likely be lost anyway
        raise OutOfTime("too little time left to mark the booking, send it and take the mark back")
    now = clock.now()
    marked.append(item_id)  # from here a mark may exist (even a put whose answer is lost): taken back
    try:
        with deadline.keeping(UNMARK_RESERVE):
            dynamo.store_client().put_item(
                TableName=get_settings().idempotency_table,
                Item={"id": dynamo.s(item_id), "expiration": dynamo.n(int(now + EXPIRES_AFTER_SECONDS))},
                ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                ExpressionAttributeValues={":now": dynamo.n(int(now))},
            )
    except (ClientError, BotoCoreError) as exc:
        if isinstance(exc, ClientError) and dynamo.conditional_failed(exc):
            marked.remove(item_id)  # the earlier invocation's: never taken back
            logger.warning("an earlier request with this key was sent and stopped; not sent again")
            raise SentBefore(
                "an earlier request with this Idempotency-Key was sent; its answer was lost"
            ) from exc
        logger.warning("sent mark not saved", extra={"error": type(exc).__name__})


def _unmark_sent(item_id: str) -> None:
    """Altegio did nothing with the booking: the key may book again. Tried UNMARK_TRIES times (a mark left
    behind would make the key's retry a 504 for a booking that was never made)."""
    for attempt in range(UNMARK_TRIES):
        try:
            with deadline.cleaning_up():
                dynamo.store_client().delete_item(
                    TableName=get_settings().idempotency_table, Key={"id": dynamo.s(item_id)}
                )
            return
        except (ClientError, BotoCoreError) as exc:
            if attempt + 1 == UNMARK_TRIES:
                logger.error(
                    "sent mark not taken back; a retry with this key will be a 504",
                    extra={"error": type(exc).__name__},
                )
            else:
                clock.sleep(0.05 * 2**attempt)


class _NotStored(Exception):
    """Nothing happened upstream: Powertools deletes the INPROGRESS record so the key can be retried."""

    def __init__(self, result: WriteResult):
        super().__init__(result.status)
        self.result = result


class _Remaining:
    """A stand-in Lambda context when the real one cannot tell the remaining time (local invocations)."""

    def __init__(self, seconds: float):
        self._deadline = clock.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - clock.monotonic()) * 1000))


def _runner() -> tuple[Callable[..., dict], IdempotencyConfig]:
    return container.get("idempotency.runner", _build)


def _build() -> tuple[Callable[..., dict], IdempotencyConfig]:
    """Built on first use, on the container's botocore session (dynamo.store_client)."""
    config = IdempotencyConfig(
        event_key_jmespath="[scope, key]",
        payload_validation_jmespath="payload",
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        hash_function="sha256",
        raise_on_no_idempotency_key=True,
    )
    # dynamo.CONFIG's short timeouts: a stalled or throttled table fails fast (503 before the booking,
    # never a lost answer), within the invocation's time.
    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table, boto3_client=dynamo.store_client()
    )

    @idempotent_function(data_keyword_argument="data", config=config, persistence_store=persistence)
    def run(*, data: dict, action: Callable[[], WriteResult], made: list[WriteResult]) -> dict:
        sent_id, marked = _sent_id(data), []
        with altegio_client.on_first_write(lambda: _mark_sent(sent_id, marked)):
            result = action()
        made.append(result)
        if result.outcome == "not_sent":
            if marked:
                _unmark_sent(sent_id)
            raise _NotStored(result)
        return result.to_dict()

    return run, config


def _register(config: IdempotencyConfig, context: Any) -> float:
    """Tell Powertools how long this invocation may run (it bounds the INPROGRESS lock); return seconds."""
    if context is None or not callable(getattr(context, "get_remaining_time_in_millis", None)):
        context = _Remaining(15.0)
    config.register_lambda_context(context)
    return context.get_remaining_time_in_millis() / 1000


def once(
    key: str | None,
    *,
    scope: list[Any],
    payload: dict[str, Any],
    action: Callable[[], WriteResult],
    context: Any = None,
) -> Response:
    """Run `action` at most once per (scope, key); without a key just run it."""
    if key is None:
        return respond(action())
    run, config = _runner()
    remaining = _register(config, context)
    wait = WAIT_SECONDS
    if wait is None:
        wait = get_settings().write_read_timeout + WAIT_MARGIN_SECONDS
    deadline = clock.monotonic() + max(0.5, min(wait, remaining - 1.5))
    data = {"scope": scope, "key": key, "payload": payload}
    made: list[WriteResult] = []
    delay = 0.05
    while True:
        try:
            stored = run(data=data, action=action, made=made)
        except IdempotencyAlreadyInProgressError:
            if clock.monotonic() + delay >= deadline:
                logger.info("idempotency key still in progress", extra={"waited_s": round(wait, 1)})
                return error_response(
                    409,
                    f"A request with this {HEADER} is still in progress. Retry after a moment "
                    "to get its answer.",
                    headers={**NO_STORE, "Retry-After": "1"},
                )
            clock.sleep(delay)
            delay = min(delay * 2, 0.4)
            continue
        except IdempotencyInconsistentStateError:
            if clock.monotonic() + delay >= deadline:
                raise
            clock.sleep(delay)  # the record changed between put and get: try again
            continue
        except IdempotencyValidationError:
            return error_response(
                422,
                f"This {HEADER} was already used with a different request body. "
                "Use a new key for a different booking.",
                headers=NO_STORE,
            )
        except _NotStored as exc:
            return respond(exc.result)
        except IdempotencyPersistenceLayerError as exc:
            if made:  # the booking went out; its answer matters more than the record of it
                logger.error("idempotency record not saved after the booking", extra={"error": str(exc)})
                return respond(made[0])
            if "get record" in str(exc).lower():
                # The key exists (the conditional put said so) but could not be read: never book twice.
                return error_response(
                    409,
                    f"A request with this {HEADER} exists but cannot be read right now; retry shortly.",
                    headers={**NO_STORE, "Retry-After": "1"},
                )
            # The store is down before anything happened: a booking it cannot protect is not sent.
            logger.error("idempotency store unavailable; booking refused", extra={"error": str(exc)})
            return error_response(
                503,
                f"The booking was not made: its {HEADER} cannot be recorded right now, so a retry could "
                "book twice. Retry shortly with the same key.",
                headers={**NO_STORE, "Retry-After": str(STORE_RETRY_AFTER)},
            )
        replayed = not made
        if replayed:
            logger.info("idempotent replay")
        return respond(WriteResult.from_dict(stored), {REPLAYED_HEADER: "true"} if replayed else None)
