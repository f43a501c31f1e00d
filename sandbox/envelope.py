"""Altegio's response envelope `{success, data, meta}` and its error bodies (altegio-api.md §1.3, §2)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def json_response(reply: Reply) -> Response:
    body = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":"))
    return Response(body, reply.status, headers=reply.headers, content_type="application/json; charset=utf-8")


def ok(data: Any, status: int = 200) -> Reply:
    return Reply(status, {"success": True, "data": data, "meta": []})


def accepted(message: str, status: int) -> Reply:
    """201 Created / 202 Accepted answers carry a message in `meta` and no data."""
    return Reply(status, {"success": True, "data": None, "meta": {"message": message}})


def error_body(message: str, errors: list[dict] | None = None) -> dict:
    meta: dict[str, Any] = {"message": message}
    if errors is not None:
        meta["errors"] = errors
    return {"success": False, "data": None, "meta": meta}


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict] | None = None, reason: str = ""):
        super().__init__(message)
        self.reply = Reply(status, error_body(message, errors))
        self.reason = reason  # for the sandbox's log only; Altegio's body stays generic


def unauthorized(reason: str = "") -> ApiError:
    return ApiError(401, "Authentication needed.", reason=reason)


def forbidden(message: str = "Access denied.") -> ApiError:
    return ApiError(403, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def business(code: int, message: str, status: int = 422) -> ApiError:
    """One online-booking error (431-438): code and message in meta.errors, as the spec's 422 example."""
    return ApiError(status, message, [{"code": code, "message": message}])


def invalid(message: str) -> ApiError:
    """Altegio's generic 422 body."""
    return ApiError(422, "An error has occurred.", [{"code": 422, "message": message}])
