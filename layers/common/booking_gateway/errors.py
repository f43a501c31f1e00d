"""One vocabulary for what stops a request, from the Altegio client up, and the one table of answers.

- `Rejected`: the gateway refused the request before any upstream call (a malformed header or body); its
  status and message are the answer (app_factory answers it in Altegio's envelope).
- `Unanswered`: no usable answer from Altegio for one call. Raised by budget.acquire (BudgetExhausted: the
  gateway's own budget said no), altegio_client.call before sending (OutOfTime: the invocation's time is
  nearly up) and by altegio_client.call (Altegio's 429, a timeout, a failure, Cloudflare's
  page, the partner token refused). `stale_if_error` says whether Altegio itself failed, so that any kept
  copy may stand in (read_path); `answer(kind)` is what the caller gets otherwise, for a cached read
  ("cached"), a forwarded read ("read"), a write ("write") or a booking ("booking"): status, message,
  Retry-After and, for a write, whether Altegio may have acted (Outcome).
"""

from __future__ import annotations

import math
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["done", "unknown", "not_sent"]  # done: Altegio answered; unknown: it may have acted
Kind = Literal["cached", "read", "write", "booking"]

TIMEOUT_MESSAGE = (
    "Altegio did not answer in time, so it is not known whether this request took effect. "
    "Do not repeat it blindly: look it up first, then retry only if it did not happen."
)
_LOOK_UP = (
    "so the booking may or may not have been created. Do not retry blindly: look the booking up first "
    "(sign in with POST /user/auth, then GET /user/records) and book again{} only if it is not there."
)
BOOKING_TIMEOUT_MESSAGE = "Altegio did not answer in time, " + _LOOK_UP.format("")
SENT_BEFORE_MESSAGE = (
    "An earlier request with this Idempotency-Key reached Altegio and its answer was lost, "
    + _LOOK_UP.format(", with a new key,")
)
UNKNOWN_MESSAGE = (
    "Altegio failed while handling this request, so it is not known whether it took effect. "
    "Look it up before retrying."
)
BUDGET_MESSAGE = "The upstream request budget is spent; retry shortly."
RETRY_AFTER = 2  # seconds, for a read Altegio failed (cached with no copy to stand in, or forwarded)


class Rejected(Exception):
    """A request refused before any upstream call, answered in Altegio's envelope."""

    def __init__(self, status: int, message: str, errors: list[dict] | None = None, headers=None):
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers


@dataclass(frozen=True)
class Answer:
    """What the caller gets for an Unanswered call (no copy standing in)."""

    status: int
    message: str
    retry_after: int | None
    outcome: Outcome = "not_sent"


class Unanswered(Exception, metaclass=ABCMeta):
    """No usable answer from Altegio for this call."""

    stale_if_error = True  # Altegio itself failed or refused: any kept copy may stand in

    @abstractmethod
    def answer(self, kind: Kind) -> Answer:
        """What the caller gets when no copy stands in (each kind of failure its own answer)."""


class NoBudget(Unanswered):
    """Refused for want of budget (the gateway's own, or Altegio's 429): nothing was sent."""

    def __init__(self, retry_after: float, message: str = "upstream budget spent", *, shared=True) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after + 0.999))
        self.shared = shared  # every caller would be refused the same now (not only this caller's share)

    def answer(self, kind: Kind) -> Answer:
        return Answer(503, BUDGET_MESSAGE, self.retry_after)


class BudgetExhausted(NoBudget):
    """The shared upstream budget (budget.py) has no call for this one now: nothing was sent."""

    stale_if_error = False  # the gateway chose not to ask: only a copy that merely aged stands in


class OutOfTime(Unanswered):
    """The invocation had too little time left to make this call and read its answer (deadline.py):
    nothing was sent."""

    stale_if_error = False  # the gateway chose not to ask

    def answer(self, kind: Kind) -> Answer:
        if kind == "booking":
            return Answer(503, "The booking was not made: the gateway ran out of time; retry shortly.", 1)
        return Answer(503, "The gateway ran out of time for this request; nothing was sent. Retry soon.", 1)


class UpstreamRateLimited(NoBudget):
    """Altegio answered 429: nothing was done; every container holds off for Retry-After (budget.pause)."""


class UpstreamError(Unanswered):
    """Altegio could not give a usable answer."""


class UpstreamTimeout(UpstreamError):
    """The request went out and no answer came in time: for a write, its effect is unknown."""

    def answer(self, kind: Kind) -> Answer:
        if kind in ("cached", "read"):  # a GET: asking again is safe, and when is said the same way
            return Answer(504, "Altegio did not answer in time; retry shortly.", RETRY_AFTER)
        message = BOOKING_TIMEOUT_MESSAGE if kind == "booking" else TIMEOUT_MESSAGE
        return Answer(504, message, None, "unknown")


class SentBefore(UpstreamError):
    """An earlier request with this Idempotency-Key was written to Altegio, and its invocation stopped
    before its answer was kept (the function's timeout): its effect is unknown, and sending it again could
    book twice (with "any team member", Altegio would pick another one)."""

    def answer(self, kind: Kind) -> Answer:
        return Answer(504, SENT_BEFORE_MESSAGE, None, "unknown")


class UpstreamUnavailable(UpstreamError):
    """Connection failed, Altegio answered 5xx, or the body was not JSON."""

    def answer(self, kind: Kind) -> Answer:
        if kind in ("cached", "read"):
            return Answer(502, "Altegio is unavailable; retry shortly.", RETRY_AFTER)
        return Answer(502, UNKNOWN_MESSAGE, None, "unknown")


class UpstreamAuthFailed(UpstreamError):
    """Altegio refused the partner token even after fetching it again."""

    def answer(self, kind: Kind) -> Answer:
        return Answer(502, "The gateway could not authenticate with Altegio.", None)


# After UpstreamRefused.public ("Altegio's edge (Cloudflare) refused the gateway's request with a ... page").
_EDGE_MESSAGES = {
    "booking": "The booking was not made: {}, so it never reached Altegio. Retry shortly.",
    "write": "{}, so it never reached Altegio and nothing was done; retry shortly.",
    "read": "{}; retry shortly.",
    "cached": "{}; retry shortly.",
}


class UpstreamRefused(UpstreamUnavailable):
    """Cloudflare in front of Altegio answered with its own page (challenge or block): the request never
    reached Altegio, so nothing happened there."""

    def __init__(self, message: str, page: str, retry_after: float):
        super().__init__(message)
        self.page, self.retry_after = page, retry_after
        # For the caller (the exception's own text names the path, which may hold a record hash).
        self.public = f"Altegio's edge (Cloudflare) refused the gateway's request with a {page} page"

    def answer(self, kind: Kind) -> Answer:
        retry = RETRY_AFTER if kind == "cached" else max(1, math.ceil(self.retry_after))
        return Answer(502, _EDGE_MESSAGES[kind].format(self.public), retry)
