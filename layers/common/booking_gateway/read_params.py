"""Parameter types of the read operations, their documented responses, and the canonical upstream
query built from them. Handlers compose these; validation errors become 422s naming the parameter
(app_factory)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AfterValidator, Field

MAX_ID = 2**31 - 1
MAX_SERVICE_IDS = 20
MAX_DATE_SPAN_DAYS = 93


def _iso_date(value: str) -> str:
    return dt.date.fromisoformat(value).isoformat()  # rejects 2026-02-30


def _datetime(value: str) -> str:
    """Altegio takes an ISO datetime or a Unix timestamp; either way canonical for the cache key."""
    if value.isdigit() and len(value) <= 11:
        return value
    return dt.datetime.fromisoformat(value).isoformat()


PositiveId = Annotated[int, Field(gt=0, le=MAX_ID)]
IsoDate = Annotated[
    str,
    Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"}),
    AfterValidator(_iso_date),
]
LocationId = Annotated[int, Path(gt=0, le=MAX_ID, description="Altegio location (company) id")]
TeamMemberId = Annotated[int, Path(ge=0, le=MAX_ID, description="Team member id; 0 means any")]
DatePath = Annotated[IsoDate, Path(description="Day, YYYY-MM-DD (the location's calendar)")]
ServiceIds = Annotated[
    list[PositiveId] | None,
    Query(alias="service_ids[]", max_length=MAX_SERVICE_IDS, description="Service ids (repeat the key)"),
]
StaffId = Annotated[int | None, Query(ge=0, le=MAX_ID, description="Team member id; 0 means any")]
DateTimeQ = Annotated[
    Annotated[str, AfterValidator(_datetime)] | None,
    Query(max_length=40, description="ISO 8601 datetime or Unix time"),
]
DateQ = Annotated[IsoDate | None, Query(description="Day, YYYY-MM-DD")]


def _fail(name: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", name), "msg": message, "type": "value_error"}])


def reject_unknown(app: APIGatewayRestResolver, *known: str) -> None:
    """Unknown query parameters are refused, so nobody can bust the cache with junk."""
    params = app.current_event.multi_value_query_string_parameters or {}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise _fail(unknown[0], f"unknown parameter; allowed: {', '.join(known) or 'none'}")
    for name, values in params.items():
        if name != "service_ids[]" and len(values) > 1:
            raise _fail(name, "given more than once")


def check_date_range(date_from: str | None, date_to: str | None) -> None:
    if (date_from is None) != (date_to is None):
        raise _fail("date_from" if date_from is None else "date_to", "date_from and date_to go together")
    if date_from and date_to:
        span = (dt.date.fromisoformat(date_to) - dt.date.fromisoformat(date_from)).days
        if span < 0:
            raise _fail("date_to", "must not be before date_from")
        if span > MAX_DATE_SPAN_DAYS:
            raise _fail("date_to", f"span must be at most {MAX_DATE_SPAN_DAYS} days")


def build_query(service_ids: list[int] | None = None, **params: object) -> list[tuple[str, str]]:
    """Repeated `service_ids[]`, sorted and de-duplicated; other parameters only when given."""
    query = [("service_ids[]", str(i)) for i in sorted(set(service_ids or []))]
    query += [(k, str(v)) for k, v in sorted(params.items()) if v is not None]
    return query


# -- documented responses ------------------------------------------------------------------------------
_CACHE_HEADERS = {
    "X-Cache": {"description": "hit | miss | stale | bypass", "schema": {"type": "string"}},
    "Age": {
        "description": "Seconds since the answer was fetched from Altegio",
        "schema": {"type": "integer"},
    },
    "Cache-Control": {
        "description": "no-cache for availability, max-age otherwise",
        "schema": {"type": "string"},
    },
}
_ERRORS = {
    404: "Location or booking form not served by this gateway, or Altegio found nothing (Altegio's answer)",
    422: "Invalid parameter (meta.errors names it), or Altegio's own 422",
    502: "Altegio failed or refused the gateway's credentials, and no cached copy is kept",
    503: "Upstream budget spent or Altegio rate-limited, and no cached copy is kept (Retry-After)",
    504: "Altegio did not answer in time, and no cached copy is kept (Retry-After)",
}


def responses(operation_id: str) -> dict[int, dict[str, Any]]:
    """The `responses=` of a read route: Altegio's payload model and the gateway's errors.

    The payload models (upstream_models) cost ~30-50 ms of import, and only the OpenAPI document needs
    them: scripts/gen_openapi.py sets GATEWAY_OPENAPI_MODELS=1; at run time the descriptions suffice."""
    out: dict[int, dict[str, Any]] = {
        200: {"description": "Altegio's answer, passed through unchanged", "headers": _CACHE_HEADERS}
    }
    out.update({status: {"description": text} for status, text in _ERRORS.items()})
    if os.environ.get("GATEWAY_OPENAPI_MODELS") == "1":
        from .upstream_models import OPERATIONS, Envelope, ErrorEnvelope

        op = OPERATIONS[operation_id]
        model = Envelope[op.data] | op.data if op.unwrapped else Envelope[op.data]  # i18n: either form
        out[200]["content"] = {"application/json": {"model": model}}
        for status in _ERRORS:
            out[status]["content"] = {"application/json": {"model": ErrorEnvelope}}
    return out
