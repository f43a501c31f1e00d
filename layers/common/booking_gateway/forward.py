"""Forwarding one write (or client-cabinet read) to Altegio: one call, never retried blindly, invalidation
before the answer.

    result = send("POST", f"/book_code/{loc}", operation="send_booking_verification_code", body=...)
    return respond(result)          # or both at once: forward_write(...)

- Every call draws on the shared budget with priority "write" (ahead of cache refreshes).
- Writes go out with idempotent=False: the client never retries them. A timeout answers 504 telling the
  caller to look the result up before retrying; the outcome is unknown, so availability is invalidated
  anyway.
- A success (2xx), or an unknown outcome, of an availability-changing operation bumps the availability
  generation of what it changed (cache.bump_generation) before the answer is built, so the next
  book_times / book_dates / book_staff / book_staff_seances read cannot show the old state.
- Altegio's answers (business errors 431-438, 403/434 ...) pass through unchanged: status, code, message.
- A call that got no answer is answered from errors.py's table; one that did nothing upstream (budget,
  Altegio's 429, Cloudflare's page, an error in Altegio's older shape) is "not_sent": nothing is
  invalidated, and an Idempotency-Key is released so a retry can book.
- Nothing here is cached (book_check, which holds no personal data, is: check_cache.py); every answer
  carries `Cache-Control: no-store` (tokens, personal data, hashes).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response

from . import altegio_client, cache
from .envelope import NO_STORE, error_response, upstream_response
from .errors import Outcome, Unanswered
from .masking import register_personal, register_secret
from .observability import logger
from .settings import get_settings

_BOOKINGS = frozenset({"create_online_booking", "book_event"})  # their timeouts say how to look one up


@dataclass(frozen=True)
class Days:
    """Only these days of one location changed (a booking or cancel whose dates are known)."""

    location_id: int
    days: frozenset[str]


Invalidate = int | Iterable[int] | Literal["all"] | Days | None


@dataclass(frozen=True)
class WriteResult:
    """What one forwarded call produced, as stored by the idempotency layer and turned into a Response."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    outcome: Outcome = "done"  # errors.Outcome: did Altegio act?
    # The availability generations this write created, by day ("days": the hints); not stored for replays.
    bumped: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def changed(self) -> bool:
        """Did Altegio do it, and did it change availability (generations bumped)?"""
        return self.outcome == "done" and 200 <= self.status < 300 and bool(self.bumped)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body, "headers": self.headers, "outcome": self.outcome}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WriteResult:
        return cls(int(data["status"]), str(data["body"]), dict(data.get("headers") or {}), data["outcome"])


_ANSWER_SECRETS = re.compile(r'"(?:user_token|record_hash|hash|0)"\s*:\s*"([^"]+)"')
# Upstream headers kept in a WriteResult (stored for replays); envelope.upstream_response keeps the same.
_PASS_HEADERS = ("retry-after",)


def respond(result: WriteResult, extra_headers: Mapping[str, str] | None = None) -> Response:
    headers = {**result.headers, **NO_STORE, **(extra_headers or {})}
    up = altegio_client.UpstreamResponse(result.status, result.body.encode(), {})
    return upstream_response(up, headers=headers)


def _unanswered(exc: Unanswered, operation: str, idempotent: bool) -> WriteResult:
    kind = "read" if idempotent else "booking" if operation in _BOOKINGS else "write"
    answer = exc.answer(kind)
    headers = {"Retry-After": str(answer.retry_after)} if answer.retry_after else {}
    response = error_response(answer.status, answer.message, headers=headers)
    return WriteResult(response.status_code, response.body, dict(response.headers), answer.outcome)


def day_of(value: Any) -> str | None:
    """The location's calendar day of an Altegio datetime ("2026-12-01T10:00:00-05:00")."""
    return value[:10] if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value[:10]) else None


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
    time_limit: float | None = None,
) -> WriteResult:
    """One upstream call for a write or a client-cabinet read; never raises for upstream trouble."""
    started = time.perf_counter()
    register_personal(body)
    register_personal(dict(query or []))
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
    except Unanswered as exc:
        result = _unanswered(exc, operation, idempotent)
        if result.outcome == "unknown":
            invalidate_availability(invalidate)
    else:
        headers = {k.title(): v for k, v in up.headers.items() if k.lower() in _PASS_HEADERS}
        outcome: Outcome
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
