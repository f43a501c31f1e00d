"""What a write or client-cabinet route answers, for its `responses=` (the OpenAPI document).

Like read_params.responses: Altegio's payload models (upstream_models, ~25 ms of import) are attached
only when the document is generated (scripts/gen_openapi.py sets GATEWAY_OPENAPI_MODELS=1); at run time
the statuses and descriptions suffice, and a function's cold start does not pay for the models.
"""

from __future__ import annotations

import os

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
# Altegio may refuse anything; the gateway may fail upstream.
ALWAYS = (401, 403, 404, 406, 422, 502, 503, 504)
AUTH_DOC = "User <user_token>, or Altegio's own form Bearer <anything>, User <user_token>"


def responses(operation_id: str, *, body: bool = False, idempotency: bool = False) -> dict[int, dict]:
    """The `responses=` of a route: every error status it can answer (body routes add 413/415, POST
    book_record 400/409) and, in the document, Altegio's success status and models."""
    statuses = set(ALWAYS) | ({413, 415} if body else set()) | ({400, 409} if idempotency else set())
    out: dict[int, dict] = {status: {"description": _ERROR_DOCS[status]} for status in sorted(statuses)}
    if os.environ.get("GATEWAY_OPENAPI_MODELS") != "1":
        return out  # nothing reads them at run time (Powertools analyses the models on the first request)
    from .upstream_models import OPERATIONS, Envelope, ErrorEnvelope

    op = OPERATIONS[operation_id]
    ok_model = Envelope[op.data] if op.data is not None else Envelope[None]
    document: dict[int, dict] = {
        op.status: {
            "description": "Altegio's answer, passed through unchanged",
            "content": {"application/json": {"model": ok_model}},
        }
    }
    for status, doc in out.items():
        document[status] = {**doc, "content": {"application/json": {"model": ErrorEnvelope}}}
    return document
