"""The one way to Altegio: a pooled urllib3 client with Altegio's headers and the shared budget.

- One PoolManager per container (container.py), reused across invocations; connect/read timeouts.
- Every attempt draws on the shared budget first (budget.take with the call's priority); the connection
  writes the request only on that turn (budget.sending right before the write, budget.sent right after).
- Retries, with jittered exponential backoff, only for idempotent calls and only where the request
  cannot have had an effect or is safe to repeat: connection errors, 502/503/504. A read timeout is
  never retried (UpstreamTimeout at once).
- 429: Retry-After is shared with every container (budget.pause); an idempotent call waits out a short
  one once (at most MAX_429_WAIT and its budget_wait), otherwise UpstreamRateLimited is raised (the read
  path answers with its stale copy or 503 + Retry-After).
- 401: the partner token is read from Secrets Manager again, once (rotation without redeploy), then
  UpstreamAuthFailed (the caller answers 502). With a visitor's user token in the call a second 401
  is Altegio's answer about that token and passes through.
- Altegio's own answers (any status below 500 with a JSON body) are returned unchanged, a 2xx without a
  body as Altegio's empty envelope; 5xx after the retries and non-JSON bodies raise UpstreamUnavailable.
- Cloudflare's own page in front of Altegio (a challenge "Just a moment..." or a block "Attention
  Required!", HTML 403): the call never reached Altegio. UpstreamRefused (an UpstreamUnavailable) at once,
  never retried: a challenge wants a browser, and asking again only looks more like a bot.
- An error in Altegio's older shape {"errors": {"code", "message"}} (no success/meta) comes back in the
  current envelope, code and message kept, with `older_shape` set (a refusal: nothing was done). The
  status is kept when it means something to the caller, else 502.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import urllib3
import urllib3.connection
from urllib3.exceptions import HTTPError, ReadTimeoutError

from . import budget, clock, container, deadline
from .envelope import error_body
from .errors import (  # raised here; what each means and how it is answered: errors.py
    OutOfTime,
    UpstreamAuthFailed,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from .observability import count, logger, metrics
from .partner_token import get_partner_token
from .settings import get_settings

ACCEPT = "application/vnd.api.v2+json"
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_ATTEMPTS = 3
MAX_429_WAIT = 1.0  # a longer Retry-After is answered at once (stale copy or 503 + Retry-After)
EDGE_RETRY_AFTER = 2.0  # Cloudflare's pages carry no Retry-After; its challenges hit a few percent of calls
# An older-shape error keeps its status when it tells the caller something; any other 4xx is the gateway's.
CALLER_STATUSES = frozenset({400, 401, 402, 403, 404, 409, 410, 422})
_CHALLENGE_MARKS = (b"<title>Just a moment...</title>", b"/cdn-cgi/challenge-platform/", b"_cf_chl_opt")
_BLOCK_MARKS = (b"Attention Required! | Cloudflare", b"cf-error-details")
DEFAULT_ERROR = "An error has occurred."  # Altegio's generic 422 message
MIN_CALL_TIME = 1.0  # seconds the invocation must have left to send a call at all (deadline.py)

__all__ = [  # the errors, for callers that import them from the client that raises them
    "OutOfTime",
    "UpstreamAuthFailed",
    "UpstreamError",
    "UpstreamRateLimited",
    "UpstreamRefused",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "UpstreamResponse",
    "call",
]


_turn: contextvars.ContextVar[budget.Turn | None] = contextvars.ContextVar("budget_turn", default=None)
_first_write: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "first_write", default=None
)


@contextlib.contextmanager
def on_first_write(hook: Callable[[], None]) -> Iterator[None]:
    """Run `hook` once, right before the first request made inside is written (on its budget turn, after
    budget.sending() let it go, so a call the budget refused never runs it): idempotency.py notes there
    that a booking may reach Altegio. What it raises is the call's, and nothing is written."""
    token = _first_write.set(hook)
    try:
        yield
    finally:
        _first_write.reset(token)


class _OnTurn:
    """A connection that writes a request only on its budget turn: budget.sending() right before the
    write (a turn gone stale while the process was descheduled is taken again), budget.sent() with the
    time the request was written, right after, even if the write failed (part of it may be out), so the
    turn's slot is held no longer than needed."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        turn = _turn.get()
        if turn is not None:
            budget.sending(turn)  # may refuse: then nothing is sent, and the hook never runs
        hook = _first_write.get()
        if hook is not None:
            _first_write.set(None)  # once: the booking, not the read-back after it
            try:
                hook()
            except BaseException:
                if turn is not None:
                    budget.sent(turn, clock.now())  # the slot's hold ends (counted as used: the safe side)
                raise
            if turn is not None:
                budget.sending(turn)  # the hook's time may have made the turn stale
        try:
            super().request(*args, **kwargs)  # type: ignore[misc]
        finally:
            if turn is not None:
                budget.sent(turn, clock.now())


class _HTTPConnection(_OnTurn, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_OnTurn, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _new_pool() -> urllib3.PoolManager:
    pool = urllib3.PoolManager(num_pools=4, maxsize=16, block=False, retries=False)
    pool.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return pool


def _pool() -> urllib3.PoolManager:
    return container.get("altegio.pool", _new_pool)


@dataclass
class UpstreamResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    older_shape: bool = False  # an error of Altegio's older shape, translated: Altegio refused, did nothing

    def json(self) -> Any:
        return json.loads(self.body)


def _headers(token: str, user_token: str | None, with_body: bool) -> dict[str, str]:
    auth = f"Bearer {token}" + (f", User {user_token}" if user_token else "")
    headers = {"Accept": ACCEPT, "Authorization": auth}
    if with_body:
        headers["Content-Type"] = "application/json"
    return headers


def _retry_after(headers: Mapping[str, str], default: float = 1.0) -> float:
    try:
        return max(0.0, float(headers.get("retry-after", default)))
    except ValueError:
        return default


def _empty_success(up: UpstreamResponse) -> UpstreamResponse:
    """A 2xx without a body (YCLIENTS answered book_check that way): Altegio's own envelope for it."""
    meta = {"message": "Created"} if up.status == 201 else []
    body = json.dumps({"success": True, "data": None, "meta": meta}).encode()
    return UpstreamResponse(up.status, body, up.headers)


def _edge_page(up: UpstreamResponse) -> str | None:
    """Which of Cloudflare's own pages the answer is ("challenge" or "block"), or None for Altegio's own
    (JSON; they pass Cloudflare too, so `server: cloudflare` alone proves nothing)."""
    if up.status not in (403, 503) or up.body.lstrip()[:1] in (b"{", b"["):
        return None
    if "cf-mitigated" in up.headers or any(mark in up.body for mark in _CHALLENGE_MARKS):
        return "challenge"
    if up.status == 403 and any(mark in up.body for mark in _BLOCK_MARKS):
        return "block"
    return None


def _older_errors(payload: Any) -> list[dict] | None:
    """The items of an error in Altegio's older shape {"errors": {"code", "message"}} (or a list of
    them); None for anything else."""
    if not isinstance(payload, dict) or set(payload) != {"errors"}:
        return None
    errors = payload["errors"]
    items = errors if isinstance(errors, list) else [errors]
    if items and all(isinstance(i, dict) and ("code" in i or "message" in i) for i in items):
        return items
    return None


def _older_status(status: int, code: Any) -> int:
    if 400 <= status < 500:
        return status if status in CALLER_STATUSES else 502
    # An error on a 2xx: its code says which (434 is Altegio's 403, 431-438 its 422s).
    if code == 434:
        return 403
    if isinstance(code, int) and 431 <= code <= 438:
        return 422
    return code if code in CALLER_STATUSES else 502


def _current_shape(up: UpstreamResponse, payload: Any) -> UpstreamResponse:
    """An older-shape error in the current envelope, Altegio's codes and messages kept; else `up`."""
    items = _older_errors(payload)
    if items is None:
        return up
    codes = [item.get("code") for item in items]
    codes = [int(c) if isinstance(c, str) and c.isdigit() else c for c in codes]
    status = _older_status(up.status, codes[0])
    errors = [
        {"code": status if code is None else code, "message": str(item.get("message") or DEFAULT_ERROR)}
        for code, item in zip(codes, items, strict=True)
    ]
    message = errors[0]["message"]
    if status == 502:
        message = f"Altegio refused the gateway's request ({up.status}): {message}"
    count("UpstreamOlderShape")
    body = json.dumps(error_body(message, errors), ensure_ascii=False).encode()
    return UpstreamResponse(status, body, up.headers, older_shape=True)


def _backoff(attempt: int) -> None:
    """Exponential backoff with full jitter: 0-0.2 s, then 0-0.4 s."""
    clock.sleep(random.uniform(0, min(1.0, 0.1 * 2**attempt)))


def _send(method: str, url: str, body: bytes | None, headers: dict[str, str], read_timeout: float):
    settings = get_settings()
    timeout = urllib3.Timeout(connect=settings.connect_timeout, read=read_timeout)
    started = time.perf_counter()
    try:
        resp = _pool().request(method, url, body=body, headers=headers, timeout=timeout, redirect=False)
    finally:
        metrics.add_metric(
            name="UpstreamLatency", unit="Milliseconds", value=(time.perf_counter() - started) * 1000
        )
    count("UpstreamCall")
    count(f"Upstream{resp.status // 100}xx")
    return UpstreamResponse(resp.status, resp.data, {k.lower(): v for k, v in resp.headers.items()})


def _time_left(deadline_at: float, settings) -> bool:
    """Enough time before the deadline for another attempt to connect and be answered at all."""
    return deadline_at - clock.monotonic() > settings.connect_timeout + 1.0


def _take_turn(priority: budget.Priority, budget_wait: float) -> contextvars.Token:
    """A budget turn for the next send, checked by the connection right before it writes the request
    (_OnTurn): returns the token that puts the previous turn back."""
    return _turn.set(budget.take(priority, budget_wait))


def call(
    method: str,
    path: str,
    *,
    query: list[tuple[str, str]] | None = None,
    body: dict | None = None,
    user_token: str | None = None,
    idempotent: bool,
    priority: budget.Priority,
    read_timeout: float | None = None,
    budget_wait: float | None = None,
    time_limit: float | None = None,
) -> UpstreamResponse:
    """One Altegio request (see the module doc). `budget_wait` caps the wait for the shared budget;
    `time_limit` (default UPSTREAM_CALL_TIME_LIMIT) bounds the whole call, waits and retries included,
    so it always ends inside the function's timeout (and within what the invocation has left)."""
    settings = get_settings()
    limit = settings.call_time_limit if time_limit is None else time_limit
    left = deadline.left()
    if left is not None and left < min(limit, MIN_CALL_TIME):
        raise OutOfTime(f"{method} {path}: {max(0.0, left):.1f}s left in the invocation; not sent")
    deadline_at = clock.monotonic() + deadline.bound(limit)
    wait_cap = settings.budget_wait_seconds if budget_wait is None else budget_wait
    url = settings.altegio_base_url + path + (f"?{urlencode(query)}" if query else "")
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    if read_timeout is None:
        read_timeout = settings.read_timeout if idempotent else settings.write_read_timeout
    attempts = MAX_ATTEMPTS if idempotent else 1
    token_refreshed = rate_limited = False
    attempt = 0
    while True:
        # The token first: its first fetch (Secrets Manager) must not sit between the budget's stamp and
        # the send, or the stamp would no longer say when Altegio sees the call.
        token = get_partner_token()
        turn = _take_turn(priority, max(0.0, min(wait_cap, deadline_at - clock.monotonic() - read_timeout)))
        timeout = max(0.5, min(read_timeout, deadline_at - clock.monotonic()))
        try:
            up = _send(method, url, data, _headers(token, user_token, data is not None), timeout)
        except ReadTimeoutError as exc:
            # Never retried: Altegio is slow, and asking again would only double the wait and the load.
            raise UpstreamTimeout(f"{method} {path}: no answer within {timeout:.1f}s") from exc
        except HTTPError as exc:
            # Connection refused/reset, no answer read: retried for idempotent calls only.
            if attempt + 1 < attempts and _time_left(deadline_at, settings):
                attempt += 1
                _backoff(attempt)
                continue
            raise UpstreamUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        finally:
            _turn.reset(turn)
        page = _edge_page(up)
        if page:
            count("UpstreamEdgeRefused")
            logger.warning(
                "Altegio's edge refused the call",
                extra={"status": up.status, "page": page, "cf_ray": up.headers.get("cf-ray")},
            )
            retry_after = _retry_after(up.headers, EDGE_RETRY_AFTER)
            raise UpstreamRefused(f"{method} {path}: Cloudflare {page} page ({up.status})", page, retry_after)
        if up.status == 401 and not token_refreshed:
            # Rotation without redeploy: read the secret again, once.
            logger.info("upstream 401; fetching the partner token again")
            token_refreshed, attempt = True, 0
            get_partner_token(force=True)
            continue
        if up.status == 401 and not user_token:
            raise UpstreamAuthFailed(f"{method} {path}: partner token refused")
        if up.status == 429:
            count("Upstream429")
            wait = _retry_after(up.headers)
            budget.pause(wait)  # every container holds off until Retry-After has passed
            patience = MAX_429_WAIT if budget_wait is None else min(MAX_429_WAIT, budget_wait)
            if idempotent and not rate_limited and wait < patience + 0.001:
                rate_limited = True
                continue  # once; budget.take waits out the pause
            raise UpstreamRateLimited(wait, "Altegio rate limit")
        if up.status in RETRY_STATUSES and attempt + 1 < attempts and _time_left(deadline_at, settings):
            attempt += 1
            _backoff(attempt)
            continue
        if up.status >= 500:
            raise UpstreamUnavailable(f"{method} {path}: Altegio answered {up.status}")
        if 200 <= up.status < 300 and not up.body.strip():
            return _empty_success(up)
        try:
            payload = up.json()
        except ValueError as exc:
            raise UpstreamUnavailable(f"{method} {path}: malformed JSON from Altegio") from exc
        return _current_shape(up, payload)
