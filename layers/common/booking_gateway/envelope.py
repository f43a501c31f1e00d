"""Altegio's response envelope {success, data, meta}, for the gateway's own answers and Altegio's."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import Response

JSON = "application/json"
# Answers with tokens, personal data or record hashes (every write and client-cabinet answer).
NO_STORE = {"Cache-Control": "no-store, private", "Pragma": "no-cache"}
# Upstream headers worth passing on; hop-by-hop and server details stay behind.
_PASS_HEADERS = ("retry-after",)


def envelope(data: Any, meta: Any = None, success: bool = True) -> dict:
    return {"success": success, "data": data, "meta": meta if meta is not None else []}


def error_body(message: str, errors: Any = None) -> dict:
    """Altegio's error envelope: {success: false, data: null, meta: {message[, errors]}}."""
    meta: dict[str, Any] = {"message": message}
    if errors is not None:
        meta["errors"] = errors
    return {"success": False, "data": None, "meta": meta}


def error_response(
    status: int, message: str, errors: Any = None, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps(error_body(message, errors), ensure_ascii=False),
        headers=dict(headers or {}),
    )


class Upstream(Protocol):
    """Altegio's answer as altegio_client.UpstreamResponse holds it."""

    status: int
    body: bytes
    headers: Mapping[str, str]


def upstream_response(up: Upstream, headers: Mapping[str, str] | None = None) -> Response:
    """Altegio's own answer, status and body unchanged."""
    out = {k: v for k, v in up.headers.items() if k.lower() in _PASS_HEADERS}
    out.update(headers or {})
    return Response(
        status_code=up.status, content_type=JSON, body=up.body.decode("utf-8", "replace"), headers=out
    )
