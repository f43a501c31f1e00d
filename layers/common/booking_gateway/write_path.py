"""The write path: one upstream call per request, never retried blindly, invalidation before the answer.

    result = send("POST", f"/book_record/{loc}", body=req.upstream(), invalidate=loc, timeout_message=...)
    return respond(result)          # or both at once: forward_write(...)

- Every call draws on the shared budget with priority "write" (ahead of cache refreshes).
- Writes go out with idempotent=False: the client never retries them. A timeout answers 504 telling the
  caller to look the booking up before retrying; the outcome is unknown, so availability is invalidated
  anyway.
- A success (2xx), or an unknown outcome, of an availability-changing operation bumps the location's
  availability generation (cache.bump_generation) before the response is built, so the next
  book_times / book_dates / book_staff / book_staff_seances read cannot show the old state.
- Altegio's answers (business errors 431-438, 403/434 ...) pass through unchanged: status, code, message.
- A refusal that did nothing upstream (Cloudflare's page in front of Altegio: 502 + Retry-After; an
  error of Altegio's older shape, translated by the client) is "not_sent": nothing is invalidated, and
  an Idempotency-Key is released so a retry can book.
- Nothing here is cached (book_check, which holds no personal data, is: check_cache.py); every answer
  carries `Cache-Control: no-store` (tokens, personal data, hashes).
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from . import altegio_client, cache, clock, holds
from .allowlist import require_location
from .app_factory import make_app
from .budget import BudgetExhausted
from .envelope import error_response, upstream_response
from .masking import register_personal, register_secret
from .observability import logger
from .settings import get_settings
from .upstream_models import OPERATIONS, Envelope, ErrorEnvelope
from .user_auth import InvalidUserToken, parse_authorization
from .write_models import BUSINESS_CODES, CONTROL_MESSAGE, MAX_BODY_BYTES

NO_STORE = {"Cache-Control": "no-store, private", "Pragma": "no-cache"}
Outcome = Literal["done", "unknown", "not_sent"]


@dataclass(frozen=True)
class Days:
    """Only these days of one location changed (a booking or cancel whose dates are known)."""

    location_id: int
    days: frozenset[str]


Invalidate = int | Iterable[int] | Literal["all"] | Days | None

TIMEOUT_MESSAGE = (
    "Altegio did not answer in time, so it is not known whether this request took effect. "
    "Do not repeat it blindly: look it up first, then retry only if it did not happen."
)
# After UpstreamRefused.public ("Altegio's edge (Cloudflare) refused the gateway's request with a ... page").
_EDGE_MESSAGES = {
    "booking": "The booking was not made: {}, so it never reached Altegio. Retry shortly.",
    "write": "{}, so it never reached Altegio and nothing was done; retry shortly.",
    "read": "{}; retry shortly.",
}
_BOOKINGS = frozenset({"create_online_booking", "book_event"})
BOOKING_TIMEOUT_MESSAGE = (
    "Altegio did not answer in time, so the booking may or may not have been created. "
    "Do not retry blindly: look the booking up first (sign in with POST /user/auth, then "
    "GET /user/records) and book again only if it is not there."
)


@dataclass(frozen=True)
class WriteResult:
    """What one write produced, as stored by the idempotency layer and turned into a Response."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    # done: Altegio answered; unknown: it may have acted (timeout, 5xx); not_sent: nothing happened upstream.
    outcome: Outcome = "done"
    # The availability generations this write created, by day ("days": the hints); not stored for replays.
    bumped: dict[str, int] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body, "headers": self.headers, "outcome": self.outcome}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WriteResult:
        return cls(int(data["status"]), str(data["body"]), dict(data.get("headers") or {}), data["outcome"])

    @classmethod
    def from_response(cls, response: Response, outcome: Outcome) -> WriteResult:
        body = response.body if isinstance(response.body, str) else json.dumps(response.body)
        headers = {k: v for k, v in (response.headers or {}).items() if isinstance(v, str)}
        return cls(response.status_code, body, headers, outcome)


_ANSWER_SECRETS = re.compile(r'"(?:user_token|record_hash|hash|0)"\s*:\s*"([^"]+)"')
# Upstream headers kept in a WriteResult (stored for replays); envelope.upstream_response keeps the same.
_PASS_HEADERS = ("retry-after",)


def respond(result: WriteResult, extra_headers: Mapping[str, str] | None = None) -> Response:
    headers = {**result.headers, **NO_STORE, **(extra_headers or {})}
    up = altegio_client.UpstreamResponse(
        status=result.status,
        body=result.body.encode(),
        headers={"content-type": "application/json"},
    )
    return upstream_response(up, headers=headers)


def _error(
    status: int, message: str, outcome: Outcome, headers: Mapping[str, str] | None = None
) -> WriteResult:
    return WriteResult.from_response(error_response(status, message, headers=dict(headers or {})), outcome)


def _locations(invalidate: Invalidate) -> list[int]:
    if invalidate is None or isinstance(invalidate, Days):
        return []
    if invalidate == "all":
        return sorted(get_settings().allowed_location_ids)
    if isinstance(invalidate, int):
        return [invalidate]
    return sorted(set(invalidate))


def invalidate_availability(invalidate: Invalidate) -> dict[str, int]:
    """Bump the availability generation of each location, or of the days (cache.bump_generation never
    raises); the days' new generations."""
    if isinstance(invalidate, Days):
        return cache.bump_generation(invalidate.location_id, invalidate.days)
    for location_id in _locations(invalidate):
        cache.bump_generation(location_id)
    return {}


def send(
    method: str,
    path: str,
    *,
    operation: str,
    body: dict | None = None,
    query: list[tuple[str, str]] | None = None,
    user_token: str | None = None,
    idempotent: bool = False,
    invalidate: Invalidate = None,
    timeout_message: str = TIMEOUT_MESSAGE,
    time_limit: float | None = None,
) -> WriteResult:
    """One upstream call for a write or a client-cabinet read; never raises for upstream trouble."""
    started = time.perf_counter()
    register_personal(body)
    register_personal(dict(query or []))
    outcome: Outcome
    try:
        up = altegio_client.call(
            method,
            path,
            query=query,
            body=body,
            user_token=user_token,
            idempotent=idempotent,
            priority="write",
            time_limit=time_limit,
        )
    except BudgetExhausted as exc:
        result = _error(
            503,
            "The upstream request budget is spent; retry shortly.",
            "not_sent",
            {"Retry-After": str(max(1, int(exc.retry_after)))},
        )
    except altegio_client.UpstreamTimeout:
        if idempotent:
            result = _error(504, "Altegio did not answer in time; retry shortly.", "not_sent")
        else:
            invalidate_availability(invalidate)
            result = _error(504, timeout_message, "unknown")
    except altegio_client.UpstreamAuthFailed:
        result = _error(502, "The gateway could not authenticate with Altegio.", "not_sent")
    except altegio_client.UpstreamRefused as exc:
        kind = "read" if idempotent else "booking" if operation in _BOOKINGS else "write"
        result = _error(
            502,
            _EDGE_MESSAGES[kind].format(exc.public),
            "not_sent",
            {"Retry-After": str(max(1, math.ceil(exc.retry_after)))},
        )
    except altegio_client.UpstreamUnavailable:
        if idempotent:
            result = _error(502, "Altegio is unavailable; retry shortly.", "not_sent")
        else:
            invalidate_availability(invalidate)
            result = _error(
                502,
                "Altegio failed while handling this request, so it is not known whether it took effect. "
                "Look it up before retrying.",
                "unknown",
            )
    else:
        headers = {k.title(): v for k, v in up.headers.items() if k.lower() in _PASS_HEADERS}
        if up.status == 429 or up.older_shape:
            outcome = "not_sent"
        elif up.status >= 500 and not idempotent:
            outcome = "unknown"
        else:
            outcome = "done"
        bumped: dict[str, int] = {}
        if not idempotent and (200 <= up.status < 300 or outcome == "unknown"):
            bumped = invalidate_availability(invalidate)
        text = up.body.decode("utf-8", "replace")
        for secret in _ANSWER_SECRETS.findall(text):  # issued tokens and hashes: masked in any later line
            register_secret(secret)
        result = WriteResult(up.status, text, headers, outcome, bumped)
    logger.info(
        "write forwarded",
        extra={
            "operation": operation,
            "status": result.status,
            "outcome": result.outcome,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return result


def forward_write(method: str, path: str, *, operation: str, **kwargs: Any) -> Response:
    """send() + respond(): the whole body of most write routes."""
    return respond(send(method, path, operation=operation, **kwargs))


# -- OpenAPI: what a write route answers ------------------------------------------------------------------
_ERROR_DOCS = {
    400: "Malformed header (Idempotency-Key)",
    401: "No or malformed user token, or Altegio refused it",
    403: "Altegio refused (e.g. 434 blacklisted client, not allowed to change or cancel)",
    404: "Location not served by this gateway, or Altegio found nothing",
    406: "Accept is neither JSON nor Altegio's v2 media type",
    409: "The same Idempotency-Key is still in progress (Retry-After)",
    413: "Request body too large",
    415: "Request body is not JSON",
    422: "Invalid request, or Altegio's business errors 431-438 in meta.errors (passed through)",
    502: "Altegio failed or the gateway could not authenticate with it",
    503: "Upstream budget spent (Retry-After)",
    504: "Altegio did not answer in time; for writes, look the result up before retrying",
}


ALWAYS = (
    401,
    403,
    404,
    406,
    422,
    502,
    503,
    504,
)  # Altegio may refuse anything; the gateway may fail upstream


def responses(operation_id: str, *, body: bool = False, idempotency: bool = False) -> dict[int, dict]:
    """The `responses=` of a route: Altegio's success model (upstream_models) and every error status the
    route can answer (body routes add 413/415, POST book_record 400/409)."""
    op = OPERATIONS[operation_id]
    ok_model = Envelope[op.data] if op.data is not None else Envelope[None]
    out: dict[int, dict] = {
        op.status: {
            "description": "Altegio's answer, passed through unchanged",
            "content": {"application/json": {"model": ok_model}},
        }
    }
    statuses = set(ALWAYS) | ({413, 415} if body else set()) | ({400, 409} if idempotency else set())
    for status in sorted(statuses):
        out[status] = {
            "description": _ERROR_DOCS[status],
            "content": {"application/json": {"model": ErrorEnvelope}},
        }
    return out


AUTH_DOC = "User <user_token>, or Altegio's own form Bearer <anything>, User <user_token>"


# -- the user token -----------------------------------------------------------------------------------
def user_token(authorization: str | None, *, required: bool) -> str | None:
    """The caller's user token from the Authorization header's value (see user_auth); 401 in Altegio's
    envelope when it is malformed, or missing but required."""
    try:
        token = parse_authorization(authorization)
    except InvalidUserToken as exc:
        raise WriteRejected(401, str(exc)) from exc
    if token is None and required:
        raise WriteRejected(401, "Authentication needed: send Authorization: User <user_token>.")
    return token


# -- locating a record for user_records_delete ------------------------------------------------------------
LOCATE_TIME_LIMIT = 3.0  # the look-up's share of the call time limit; the cancel itself gets the rest


def locate_record(record_id: int, record_hash: str, user_token: str | None) -> tuple[int, str | None] | None:
    """The location and day of a record, from GET /user/records/{id}/{hash} (one budgeted call); None if
    unknown."""
    try:
        up = altegio_client.call(
            "GET",
            f"/user/records/{record_id}/{record_hash}",
            user_token=user_token,
            idempotent=True,
            priority="write",
            read_timeout=LOCATE_TIME_LIMIT - 0.5,
            budget_wait=1.0,
            time_limit=LOCATE_TIME_LIMIT,
        )
        if not 200 <= up.status < 300:
            return None
        payload = up.json()
    except Exception:  # budget, timeout, broken JSON: the caller falls back to "every location"
        logger.warning("could not look the record up before cancelling", extra={"record_id": record_id})
        return None
    records = payload.get("data") if isinstance(payload, dict) and "success" in payload else payload
    for record in records if isinstance(records, list) else []:
        if isinstance(record, dict) and str(record.get("id")) == str(record_id):
            company = record.get("company") or {}
            try:
                location_id = int(company.get("id"))
            except (TypeError, ValueError):
                return None
            return location_id, day_of(record.get("datetime"))
    return None


def day_of(value: Any) -> str | None:
    """The location's calendar day of an Altegio datetime ("2026-12-01T10:00:00-05:00")."""
    return value[:10] if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value[:10]) else None


def booked_days(location_id: int, datetimes: Iterable[str]) -> Days | int:
    """What a booking of these slots changes: their days (and the hints), else the whole location."""
    days = {day_of(d) for d in datetimes}
    return location_id if None in days or not days else Days(location_id, frozenset(days))


def cancel_record(record_id: int, record_hash: str, token: str | None) -> Response:
    """DELETE /user/records/{id}/{hash}: allowlist via a look-up first, then invalidate that day (or every
    allowed location when the record could not be found)."""
    started = clock.monotonic()
    located = locate_record(record_id, record_hash, token)
    invalidate: Invalidate = "all"
    if located is not None:
        location_id, day = located
        require_location(location_id)
        invalidate = Days(location_id, frozenset({day})) if day else location_id
    result = send(
        "DELETE",
        f"/user/records/{record_id}/{record_hash}",
        operation="delete_user_appointment",
        user_token=token,
        invalidate=invalidate,
        time_limit=get_settings().call_time_limit - (clock.monotonic() - started),  # both within the limit
    )
    if isinstance(invalidate, Days):
        holds.note_freed(invalidate.location_id, result)
    return respond(result)


# -- the app: JSON-only bodies with a size limit, Altegio's business codes for bad client fields -------------
class WriteRejected(Exception):
    """A request refused before any upstream call, answered in Altegio's envelope."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None, headers=None):
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers


class _JsonOnlyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading bodies as JSON only and refusing oversized ones unparsed.

    Powertools would also parse form-encoded and multipart bodies; the gateway takes JSON only."""

    def _get_body(self, app) -> dict[str, Any]:
        event = app.current_event
        content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type and content_type != "application/json" and not content_type.endswith("+json"):
            raise WriteRejected(415, "Send the request body as JSON (Content-Type: application/json).")
        raw = event.body or ""
        size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
        if event.is_base64_encoded:
            size = size * 3 // 4
        if size > MAX_BODY_BYTES:
            raise WriteRejected(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        if event.is_base64_encoded:  # what API Gateway does with a body that is not text
            try:
                raw = base64.b64decode(raw, validate=True).decode("utf-8")
            except ValueError as exc:  # binascii.Error and UnicodeDecodeError both are
                raise WriteRejected(422, "The request body must be UTF-8 JSON.") from exc
        if not raw.strip():
            raise WriteRejected(422, "A JSON request body is required.")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise WriteRejected(422, "The request body is not valid JSON.") from exc
        if not isinstance(body, dict):
            raise WriteRejected(422, "The request body must be a JSON object.")
        return body


def _business_error(exc: RequestValidationError) -> WriteRejected | None:
    """The first body error on phone / code / fullname, as Altegio's own business error (431/432/435)."""
    for error in exc.errors():
        loc = tuple(error.get("loc") or ())
        if CONTROL_MESSAGE in str(error.get("msg")):
            continue  # junk characters are the gateway's 422, not a business error
        if len(loc) >= 2 and loc[0] == "body" and loc[1] in BUSINESS_CODES:
            code, message = BUSINESS_CODES[loc[1]]
            return WriteRejected(422, message, [{"code": code, "message": message}])
    return None


def make_write_app(**kwargs: Any):
    """make_app() plus what write routes need: the JSON-only body reader, Altegio's business codes for
    malformed phone / SMS code / name, and WriteRejected answered in the envelope."""
    app = make_app(**kwargs)
    app._request_validation_middleware = _JsonOnlyValidation()  # noqa: SLF001 (Powertools' documented slot)
    default_handler: Callable | None = app.exception_handler_manager.lookup_exception_handler(
        RequestValidationError
    )

    @app.exception_handler(WriteRejected)
    def _rejected(exc: WriteRejected) -> Response:
        return error_response(
            exc.status, exc.message, exc.errors, headers={**NO_STORE, **(exc.headers or {})}
        )

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        business = _business_error(exc)
        if business is not None:
            return _rejected(business)
        if default_handler is None:
            raise ServiceError(422, "Invalid request")
        response = default_handler(exc)
        response.headers.update(NO_STORE)
        return response

    return app
