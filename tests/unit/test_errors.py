"""errors.py: the one table of answers for a call that got nothing usable from Altegio. The answers are the
gateway's promises (README's fault table), so the table is spelled out here, status, message and
Retry-After, for each kind of caller."""

from __future__ import annotations

import pytest
from booking_gateway import errors
from booking_gateway.errors import (
    BOOKING_TIMEOUT_MESSAGE,
    BUDGET_MESSAGE,
    TIMEOUT_MESSAGE,
    UNKNOWN_MESSAGE,
    Answer,
    BudgetExhausted,
    OutOfTime,
    UpstreamAuthFailed,
    UpstreamRateLimited,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)

EDGE = "Altegio's edge (Cloudflare) refused the gateway's request with a challenge page"
TIMEOUT_READ = "Altegio did not answer in time; retry shortly."
DOWN = "Altegio is unavailable; retry shortly."
AUTH = "The gateway could not authenticate with Altegio."

ANSWERS = [
    # (error, kind, answer)
    (BudgetExhausted(4.2), "cached", Answer(503, BUDGET_MESSAGE, 5)),
    (BudgetExhausted(4.2), "booking", Answer(503, BUDGET_MESSAGE, 5)),
    (
        OutOfTime("x"),
        "read",
        Answer(503, "The gateway ran out of time for this request; nothing was sent. Retry soon.", 1),
    ),
    (
        OutOfTime("x"),
        "booking",
        Answer(503, "The booking was not made: the gateway ran out of time; retry shortly.", 1),
    ),
    (UpstreamRateLimited(30), "cached", Answer(503, BUDGET_MESSAGE, 30)),
    (UpstreamRateLimited(0.2), "write", Answer(503, BUDGET_MESSAGE, 1)),
    (UpstreamTimeout("x"), "cached", Answer(504, TIMEOUT_READ, 2)),
    (UpstreamTimeout("x"), "read", Answer(504, TIMEOUT_READ, 2)),
    (UpstreamTimeout("x"), "write", Answer(504, TIMEOUT_MESSAGE, None, "unknown")),
    (UpstreamTimeout("x"), "booking", Answer(504, BOOKING_TIMEOUT_MESSAGE, None, "unknown")),
    (UpstreamUnavailable("x"), "cached", Answer(502, DOWN, 2)),
    (UpstreamUnavailable("x"), "read", Answer(502, DOWN, 2)),
    (UpstreamUnavailable("x"), "write", Answer(502, UNKNOWN_MESSAGE, None, "unknown")),
    (UpstreamAuthFailed("x"), "cached", Answer(502, AUTH, None)),
    (UpstreamAuthFailed("x"), "booking", Answer(502, AUTH, None)),
    (UpstreamRefused("x", "challenge", 7.5), "cached", Answer(502, f"{EDGE}; retry shortly.", 2)),
    (UpstreamRefused("x", "challenge", 7.5), "read", Answer(502, f"{EDGE}; retry shortly.", 8)),
    (
        UpstreamRefused("x", "challenge", 2.0),
        "write",
        Answer(502, f"{EDGE}, so it never reached Altegio and nothing was done; retry shortly.", 2),
    ),
    (
        UpstreamRefused("x", "challenge", 2.0),
        "booking",
        Answer(502, f"The booking was not made: {EDGE}, so it never reached Altegio. Retry shortly.", 2),
    ),
]


@pytest.mark.parametrize(("error", "kind", "answer"), ANSWERS, ids=lambda v: getattr(v, "__name__", None))
def test_each_error_has_one_answer_per_kind_of_caller(error, kind, answer):
    assert error.answer(kind) == answer


def test_only_the_gateways_own_budget_keeps_an_outdated_copy_from_standing_in():
    assert not BudgetExhausted(1).stale_if_error
    assert not OutOfTime("x").stale_if_error  # the gateway chose not to ask
    for altegio_failed in (UpstreamRateLimited(1), UpstreamTimeout("x"), UpstreamRefused("x", "block", 2)):
        assert altegio_failed.stale_if_error
    assert not isinstance(UpstreamRateLimited(1), BudgetExhausted)  # told apart by what they mean


def test_every_unanswered_error_answers_every_kind_without_a_500():
    kinds = ("cached", "read", "write", "booking")
    for error in {type(e): e for e, _, _ in ANSWERS}.values():
        assert isinstance(error, errors.Unanswered)
        statuses = {error.answer(kind).status for kind in kinds}
        assert statuses <= {502, 503, 504}
