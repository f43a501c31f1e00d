"""Altegio's company webhooks (altegio-api.md §10): a record created, moved or deleted anywhere (the front
desk, Altegio's own widget or app, another partner) changes the cache as the gateway's own bookings do.

    return webhooks.receive(app.current_event.raw_event, secret)     # functions/webhook_altegio

- Who: the secret in the registered URL's last segment (or the X-Webhook-Secret header, for a relay that
  can add one), compared in constant time with the value in Secrets Manager (WEBHOOK_SECRET_ID); with
  WEBHOOK_SOURCE_CIDRS, only from those addresses (the connection's, as API Gateway saw it, never
  X-Forwarded-For). None given: 401; wrong or from elsewhere: 403. Nothing is read or changed before.
- What: `{company_id, resource, resource_id, status: create|update|delete, data}` validated (pydantic);
  not JSON 400, too large 413, not such an event 422 (Altegio's retry would not help: WebhookInvalid,
  alarmed). Other resources, other locations and group events' records: 200, ignored.
- Repeats: a delivery already applied (keyed on resource, id, status, change time and the position it
  reports, so two changes within Altegio's one-second change time stay two) is acknowledged unapplied.
  The change itself is idempotent too (positions.py), so a repeat that slips through changes nothing.
- Apply, against the record's last known position (positions.py): created → its day bumped and its
  interval noted taken; deleted → its day bumped, nothing noted taken, time noted freed; moved or
  re-serviced → the old and the new day bumped, the new interval noted taken and time freed; the same
  position again → nothing. So lists from before stand in patched, without an upstream call (holds.py,
  read_path.py): after a booking as fresh as they were (a hit until they age), after a cancel or a move
  as aged copies (refreshed when the budget allows, so the freed time comes back; else served). A change
  older than the one kept (Altegio's change times) is ignored: it can take back nothing a newer one gave.
  A change that cannot be noted (an update of a record never seen: where it was is not known; a record
  without a length) bumps without a note, and the lists it may have changed are refreshed or refused,
  never served as they were.
- When DynamoDB or Secrets Manager fails: 503 + Retry-After, so Altegio delivers it again (WebhookFailed,
  alarmed). A bump written before the failure only makes lists refresh sooner.
- Logs: the record id, status and outcome; never the payload (the client's name, phone, e-mail).

Powertools' idempotency utility was not used: it stores answers and locks in-progress keys for work that
must not run twice, while this work may run twice harmlessly; a marker item in the cache table suffices.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import ipaddress
import json
import os
import threading
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from . import cache, clock, container, dynamo, holds, positions
from .allowlist import is_allowed
from .envelope import JSON, NO_STORE, envelope, error_response
from .errors import Rejected
from .masking import register_personal, register_secret
from .observability import count, logger
from .settings import get_settings

HEADER = "x-webhook-secret"
MAX_BODY_BYTES = 64 * 1024  # a record event is a few KB
SEEN_TTL = 2 * 86400  # seconds a delivery is remembered as applied (Altegio retries within hours)
RETRY_AFTER = 30
MAX_ID = 2**53
MAX_LENGTH = 7 * 86400

Id = Annotated[int, Field(ge=0, le=MAX_ID)]
Outcome = Literal["applied", "unchanged", "older", "repeat", "ignored"]
RANK = {"create": 0, "update": 1, "delete": 2}  # a record's changes within one change time (positions.py)


class _Ref(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: Id


class RecordData(BaseModel):
    """A record as Altegio's records API reads it: what availability depends on (the rest is ignored)."""

    model_config = ConfigDict(extra="ignore")
    id: Id | None = None
    staff_id: Id | None = None
    staff: _Ref | None = None
    datetime: AwareDatetime | None = None
    date: Annotated[str, Field(pattern=r"^\d{4}-\d\d-\d\d(?:[ T].*)?$")] | None = None  # local
    seance_length: Annotated[int, Field(ge=0, le=MAX_LENGTH)] | None = None
    length: Annotated[int, Field(ge=0, le=MAX_LENGTH)] | None = None
    services: list[_Ref] = Field(default_factory=list, max_length=100)
    deleted: bool = False
    activity_id: Id | None = None
    last_change_date: AwareDatetime | None = None


class Hook(BaseModel):
    """A delivery: {company_id, resource, resource_id, status, data}."""

    model_config = ConfigDict(extra="ignore")
    company_id: Id
    resource: str = Field(pattern=r"^[a-z_]{1,64}$")
    resource_id: Id
    status: Literal["create", "update", "delete"]
    data: Any = None


class Unavailable(Exception):
    """The gateway cannot take the delivery now (DynamoDB, Secrets Manager): Altegio should retry."""


def receive(event: Mapping[str, Any], secret: str | None) -> Response:
    """One delivery: authenticated, validated, applied; Altegio's envelope either way."""
    try:
        _authenticate(event, secret)
        hook = parse(event)
        outcome = apply(hook)
    except Rejected as exc:
        forged = exc.status in (401, 403)
        count("WebhookForged" if forged else "WebhookInvalid")
        logger.warning("webhook refused", extra={"status": exc.status, "reason": exc.message})
        return error_response(exc.status, exc.message, exc.errors, headers=NO_STORE)
    except (Unavailable, *dynamo.Unavailable) as exc:
        count("WebhookFailed")
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        logger.error(
            "webhook not applied; Altegio will retry", extra={"error": type(exc).__name__, "code": code}
        )
        return error_response(
            503,
            "The gateway cannot take this webhook right now; deliver it again.",
            headers={**NO_STORE, "Retry-After": str(RETRY_AFTER)},
        )
    count(f"Webhook{outcome.title()}")
    logger.info(
        "webhook",
        extra={
            "resource": hook.resource,
            "record_id": hook.resource_id,
            "location_id": hook.company_id,
            "status": hook.status,
            "outcome": outcome,
        },
    )
    body = json.dumps(envelope({"outcome": outcome}))
    return Response(status_code=200, content_type=JSON, body=body, headers=dict(NO_STORE))


# -- who ----------------------------------------------------------------------------------------------
def _authenticate(event: Mapping[str, Any], secret: str | None) -> None:
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    given = secret if secret is not None else headers.get(HEADER)
    if given:
        register_secret(given)  # whatever was sent, right or wrong, never in a log line
    settings = get_settings()
    if settings.webhook_source_cidrs and not _from_allowed(event, settings.webhook_source_cidrs):
        raise Rejected(403, "Webhooks are not accepted from this address.")
    if not given:
        raise Rejected(401, "The webhook secret is missing: register the URL with its secret.")
    if not hmac.compare_digest(given.encode(), _expected().encode()):
        raise Rejected(403, "The webhook secret is wrong.")


def _from_allowed(event: Mapping[str, Any], networks: tuple) -> bool:
    source = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
    try:
        address = ipaddress.ip_address(str(source))
    except ValueError:
        return False
    return any(address in network for network in networks)


_fetching = threading.Lock()


def _provider():
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider()


def _expected() -> str:
    """The secret's value ({"value": ...}), cached per container like the partner token."""
    from aws_lambda_powertools.utilities.parameters.exceptions import (
        GetParameterError,
        TransformParameterError,
    )

    secret_id = get_settings().webhook_secret_id
    if not secret_id:
        raise Unavailable("WEBHOOK_SECRET_ID is not set")
    max_age = int(os.environ.get("POWERTOOLS_PARAMETERS_MAX_AGE", "300"))
    try:
        with _fetching:
            value = container.get("webhooks.provider", _provider).get(
                secret_id, transform="json", max_age=max_age
            )
        expected = str(value["value"])
    except (GetParameterError, TransformParameterError, KeyError, TypeError) as exc:
        raise Unavailable(type(exc).__name__) from exc
    if len(expected) < 16:
        raise Unavailable("the webhook secret is too short to be one")
    register_secret(expected)
    return expected


# -- what ---------------------------------------------------------------------------------------------
def parse(event: Mapping[str, Any]) -> Hook:
    """The delivery's body as a Hook (a record's data validated too), else 400/413/422."""
    raw = event.get("body") or ""
    size = len(raw.encode("utf-8", "replace")) if isinstance(raw, str) else len(raw)
    if size > MAX_BODY_BYTES * (4 / 3 if event.get("isBase64Encoded") else 1):
        raise Rejected(413, f"The webhook body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        if event.get("isBase64Encoded"):
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        doc = json.loads(raw)
    except (ValueError, TypeError, RecursionError):  # binascii, Unicode and JSON errors are ValueErrors
        raise Rejected(400, "The webhook body is not JSON.") from None
    if not isinstance(doc, dict):
        raise Rejected(422, "The webhook body must be a JSON object.")
    hook = _validated(Hook, doc)
    if hook.resource == "record":
        if not isinstance(hook.data, dict):
            problem = {"parameter": "data", "message": "must be an object"}
            raise Rejected(422, "Invalid webhook: data", [problem])
        register_personal(hook.data.get("client"))
        hook.data = _validated(RecordData, hook.data, "data.")
        _check_record(hook)
    return hook


def _validated(model: type[BaseModel], doc: dict, prefix: str = "") -> Any:
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        items = [
            {"parameter": prefix + ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors(include_input=False, include_url=False)
        ]
        names = ", ".join(dict.fromkeys(i["parameter"] for i in items))
        raise Rejected(422, f"Invalid webhook: {names}", items) from None


def _check_record(hook: Hook) -> None:
    data: RecordData = hook.data
    problems = []
    if data.id is not None and data.id != hook.resource_id:
        problems.append({"parameter": "data.id", "message": "differs from resource_id"})
    if not _deleted(hook):
        if data.datetime is None:
            problems.append({"parameter": "data.datetime", "message": "required for a record that exists"})
        if data.staff_id is None and data.staff is None:
            problems.append({"parameter": "data.staff_id", "message": "required for a record that exists"})
    if problems:
        names = ", ".join(p["parameter"] for p in problems)
        raise Rejected(422, f"Invalid webhook: {names}", problems)


def _deleted(hook: Hook) -> bool:
    return hook.status == "delete" or bool(hook.data.deleted)


# -- apply --------------------------------------------------------------------------------------------
def apply(hook: Hook) -> Outcome:
    """What the change does to the cache; raises CacheUnavailable (Altegio retries)."""
    if hook.resource != "record" or not is_allowed(hook.company_id):
        return "ignored"
    data: RecordData = hook.data
    if data.activity_id:  # a group event's client: the event keeps its team member busy either way
        return "ignored"
    loc, rid = hook.company_id, hook.resource_id
    cache.heard(loc)  # its changes reach the cache as they happen (read_path serves aged lists sooner)
    seen = _seen_key(hook)
    repeat, old = _seen_and_recalled(seen, loc, rid)
    if repeat:
        return "repeat"
    new = _position(hook, old)
    if old is not None and new.older_than(old):
        outcome: Outcome = "older"
    elif old is not None and old.covers(new):
        positions.remember(loc, rid, new)
        outcome = "unchanged"
    else:
        _change(loc, hook, old, new)
        positions.remember(loc, rid, new)
        outcome = "applied"
    _mark_seen(seen)
    return outcome


def _change(loc: int, hook: Hook, old: positions.Position | None, new: positions.Position) -> None:
    """Bump what the change made wrong and note what it took, as the gateway's own bookings do."""
    if old is None and hook.status == "update" and not new.deleted:
        # Moved from where? Not known: every list of the location is refreshed or refused.
        count("WebhookUnknownOrigin")
        cache.bump(loc)
        return
    days = {d for d in (new.day, old.day if old is not None and not old.deleted else "") if d}
    if not days:  # a deletion of a record never seen, without its time: nothing shows it taken
        return
    bumped = cache.bump(loc, days)
    freed = old is not None and not old.deleted  # it was somewhere: a cancel or a move gives that back
    if new.deleted:
        holds.record(loc, bumped, [], freed=freed)
    elif new.interval is not None:
        holds.record(loc, bumped, [new.interval], freed=freed)
    # else: no length, no note: the bumped days' lists are refreshed or refused


def _position(hook: Hook, old: positions.Position | None) -> positions.Position:
    data: RecordData = hook.data
    changed = data.last_change_date.timestamp() if data.last_change_date else None
    deleted = _deleted(hook)
    if data.datetime is None:  # a deletion that says only which record
        base = old or positions.Position(0, 0.0, 0, (), "")
        return dataclasses.replace(base, deleted=deleted, changed=changed, rank=RANK[hook.status])
    staff = data.staff_id if data.staff_id is not None else data.staff.id if data.staff else 0
    return positions.Position(
        staff_id=staff,
        start=data.datetime.timestamp(),
        length=max(data.length or 0, data.seance_length or 0),
        services=tuple(sorted(s.id for s in data.services)),
        day=_local_day(data),
        deleted=deleted,
        changed=changed,
        rank=RANK[hook.status],
    )


def _local_day(data: RecordData) -> str:
    """The location's calendar day: `date` is the location's wall clock; `datetime` carries its offset."""
    if data.date:
        return data.date[:10]
    return data.datetime.date().isoformat() if data.datetime else ""


def _seen_key(hook: Hook) -> str:
    data: RecordData = hook.data
    parts = [
        hook.resource,
        hook.resource_id,
        hook.status,
        data.last_change_date.isoformat() if data.last_change_date else "",
        data.staff_id if data.staff_id is not None else (data.staff.id if data.staff else ""),
        data.datetime.isoformat() if data.datetime else "",
        data.length,
        data.seance_length,
        sorted(s.id for s in data.services),
        data.deleted,
    ]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f"hook#{hook.company_id}#{digest}"


def _seen_and_recalled(key: str, location_id: int, record_id: int) -> tuple[bool, positions.Position | None]:
    """Was this delivery applied already, and where was the record last known to be: one strongly
    consistent BatchGetItem (a delivery's path to the cache is as short as it can be)."""
    table = get_settings().cache_table
    pos_key = positions.key(location_id, record_id)
    got = dynamo.client().batch_get_item(
        RequestItems={table: {"Keys": [{"pk": dynamo.s(key)}, pos_key], "ConsistentRead": True}}
    )
    if got.get("UnprocessedKeys"):  # throttled: one at a time
        return _seen(key), positions.recall(location_id, record_id)
    by_pk = {item["pk"]["S"]: item for item in got["Responses"].get(table, [])}
    marker = by_pk.get(key)
    return _live(marker), positions.from_item(by_pk.get(pos_key["pk"]["S"]))


def _seen(key: str) -> bool:
    got = dynamo.client().get_item(
        TableName=get_settings().cache_table, Key={"pk": dynamo.s(key)}, ConsistentRead=True
    )
    return _live(got.get("Item"))


def _live(marker: dict | None) -> bool:
    return marker is not None and dynamo.num(marker, "expires_at") > clock.now()


def _mark_seen(key: str) -> None:
    dynamo.client().put_item(
        TableName=get_settings().cache_table,
        Item={"pk": dynamo.s(key), "expires_at": dynamo.n(int(clock.now()) + SEEN_TTL)},
    )
