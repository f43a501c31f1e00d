"""Request bodies of the write routes: a JSON object of at most MAX_BODY_BYTES, else a clear 4xx.

Powertools reads a route's body only when the route declares one (after matching the route and reading
its other parameters), and reads it through the resolver's public `json_body_deserializer` hook when it
takes the body for JSON text. So the write app (write_app.py), before resolving, reads the raw body once
(`read`: content type, size, base64, emptiness, in that order) and hands Powertools the JSON text with a
JSON content type, or, when the body is refused, a stand-in and the refusal, which `parse` raises as soon
as Powertools asks for the body. A route without a body never asks: its requests' bodies stay ignored.
Form and multipart bodies, which Powertools would parse too, are refused: the gateway takes JSON only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from .errors import Rejected
from .write_models import MAX_BODY_BYTES

JSON = "application/json"
STAND_IN = "{}"  # what Powertools is handed for a refused body (never parsed: `parse` raises first)


def read(event: Mapping[str, Any]) -> str | Rejected:
    """The raw event's body as JSON text, or why it is refused."""
    content_type = (_header(event, "content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type != JSON and not content_type.endswith("+json"):
        return Rejected(415, "Send the request body as JSON (Content-Type: application/json).")
    raw = event.get("body") or ""
    encoded = bool(event.get("isBase64Encoded"))
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if encoded:
        size = size * 3 // 4
    if size > MAX_BODY_BYTES:
        return Rejected(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    if encoded:  # what API Gateway does with a body that is not text
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError both are
            return Rejected(422, "The request body must be UTF-8 JSON.")
    if not raw.strip():
        return Rejected(422, "A JSON request body is required.")
    return raw


def as_json(event: Mapping[str, Any], text: str) -> dict[str, Any]:
    """A copy of the event whose body is `text`, plain, under a JSON content type."""
    out = {**event, "body": text, "isBase64Encoded": False}
    out["headers"] = {**_without_type(event.get("headers")), "Content-Type": JSON}
    if event.get("multiValueHeaders"):  # Powertools reads header parameters from here when it is given
        out["multiValueHeaders"] = {**_without_type(event["multiValueHeaders"]), "Content-Type": [JSON]}
    return out


def _without_type(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}


def parse(text: str, refused: Rejected | None) -> dict[str, Any]:
    """The body as Powertools' deserializer: the refusal found by `read`, else the JSON object."""
    if refused is not None:
        raise refused
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise Rejected(422, "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise Rejected(422, "The request body must be a JSON object.")
    return body


def _header(event: Mapping[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return value
    return None
