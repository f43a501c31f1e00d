"""The resolver every function uses: Altegio's envelope for every error, never a 500, and the
tolerance real Altegio clients need (trailing slashes, Altegio's Accept and Authorization forms)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths

from . import caller, deadline
from .envelope import NO_STORE, error_response
from .errors import Rejected
from .observability import logger, metrics, tracer
from .settings import get_settings

ACCEPTED = ("application/vnd.api.v2+json", "application/vnd.yclients.v2+json", "application/json", "*/*")


def _describe(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """Pydantic's errors as Altegio-style meta: the message names the parameter(s); each item says
    which parameter (a list item's position goes into its message) and what is wrong."""
    items = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        source = loc.pop(0) if loc and loc[0] in ("path", "query", "header", "body") else "body"
        message = str(err.get("msg", "invalid"))
        if source != "body" and len(loc) > 1:  # e.g. ("query", "service_ids[]", 1): the second id
            message = f"item {int(loc[1]) + 1}: {message}" if loc[1].isdigit() else message
            loc = loc[:1]
        items.append({"parameter": ".".join(loc) or "request", "message": message})
    names = ", ".join(dict.fromkeys(i["parameter"] for i in items))
    return f"Invalid parameter: {names}", items


def invalid(exc: RequestValidationError) -> Response:
    """422 naming the parameter(s) Powertools' validation refused."""
    message, items = _describe(list(exc.errors()))
    return error_response(422, message, items)


def make_app(
    resolver: type[APIGatewayRestResolver] = APIGatewayRestResolver, **kwargs: Any
) -> APIGatewayRestResolver:
    """The function's resolver, built at init: the settings are read (and validated) here, so a bad
    deployment fails the cold start (settings.SettingsError)."""
    settings = get_settings()
    cors = (
        CORSConfig(
            allow_origin=settings.allowed_origin,
            max_age=600,
            allow_headers=["Authorization", "Idempotency-Key", "X-Api-Key"],
        )
        if settings.allowed_origin
        else None
    )
    app = resolver(enable_validation=True, cors=cors, **kwargs)
    app.exception_handler(RequestValidationError)(invalid)

    @app.exception_handler(Rejected)
    def _rejected(exc: Rejected) -> Response:
        headers = {**NO_STORE, **(exc.headers or {})}
        return error_response(exc.status, exc.message, exc.errors, headers=headers)

    @app.exception_handler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        return error_response(exc.status_code, exc.msg)

    @app.not_found
    def _missing(exc: Exception) -> Response:
        return error_response(404, getattr(exc, "msg", None) or "Not found")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unexpected error")
        return error_response(502, "The gateway could not complete this request; retry shortly.")

    return app


def _acceptable(event: dict) -> bool:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    accept = (headers.get("accept") or "*/*").lower()
    return any(kind in accept for kind in ACCEPTED)


def _normalise(event: dict) -> None:
    """What Altegio tolerates and the routes should not see: a trailing slash, and `service_ids[]`
    comma-joined (`style: form, explode: false` in Altegio's spec, so generated clients send it)."""
    path = event.get("path") or "/"
    if len(path) > 1 and path.endswith("/"):
        event["path"] = path.rstrip("/") or "/"
    multi = event.get("multiValueQueryStringParameters") or {}
    for name, values in multi.items():
        if name.endswith("[]") and values and any("," in v for v in values):
            multi[name] = [part.strip() for v in values for part in v.split(",")]
            (event.get("queryStringParameters") or {})[name] = multi[name][-1]


def make_handler(app: APIGatewayRestResolver, any_accept: bool = False) -> Callable[[dict, Any], dict]:
    """The Lambda handler; `any_accept`: whatever Accept the caller sends (Altegio's webhooks)."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict, context: Any) -> dict:
        try:
            caller.bind(event)  # who is asking: the budget's fair share and the limits read it
            _normalise(event)
            if not any_accept and not _acceptable(event):
                return _as_proxy(error_response(406, "Accept must be application/vnd.api.v2+json"))
            with deadline.invocation(context):  # no call outlasts the function's timeout
                return app.resolve(event, context)
        except Exception:
            logger.exception("unhandled error outside the resolver")
            return _as_proxy(
                error_response(502, "The gateway could not complete this request; retry shortly.")
            )

    traced = tracer()
    if traced is not None:
        return traced.capture_lambda_handler(lambda_handler, capture_response=False)
    return lambda_handler


def _as_proxy(resp: Response) -> dict:
    body = resp.body if isinstance(resp.body, str) else json.dumps(resp.body)
    return {
        "statusCode": resp.status_code,
        "headers": {"Content-Type": "application/json", **resp.headers},
        "body": body,
        "isBase64Encoded": False,
    }
