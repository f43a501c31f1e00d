"""The resolver of the write and client-cabinet routes: make_app() plus JSON-only bodies (json_body.py)
and Altegio's own business codes for a malformed phone, SMS code or name.

    app = make_write_app()
    @app.post("/api/v1/book_code/<location_id>", ..., responses=responses("...", body=True))
    def book_code(location_id: LocationIdParam, req: Annotated[BookCodeRequest, Body(embed=False)]): ...
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from . import json_body
from .app_factory import invalid, make_app
from .envelope import NO_STORE, error_response
from .errors import Rejected
from .write_models import BUSINESS_CODES, CONTROL_MESSAGE

_REFUSED = "json_body_refused"  # the invocation's context: why its body is refused, if it is


class WriteResolver(APIGatewayRestResolver):
    """Reads the raw body once before resolving; Powertools asks for it (json_body.parse) only on a route
    that declares one."""

    def __init__(self, **kwargs: Any):
        super().__init__(json_body_deserializer=self._parse_body, **kwargs)

    def resolve(self, event, context) -> dict[str, Any]:
        body = json_body.read(event)
        refused = body if isinstance(body, Rejected) else None
        self.append_context(**{_REFUSED: refused})  # set on every event: nothing is left from the last
        return super().resolve(json_body.as_json(event, json_body.STAND_IN if refused else body), context)

    def _parse_body(self, text: str) -> dict[str, Any]:
        return json_body.parse(text, self.context.get(_REFUSED))


def _business_error(exc: RequestValidationError) -> Rejected | None:
    """The first body error on phone / code / fullname, as Altegio's own business error (431/432/435)."""
    for error in exc.errors():
        loc = tuple(error.get("loc") or ())
        if CONTROL_MESSAGE in str(error.get("msg")):
            continue  # junk characters are the gateway's 422, not a business error
        if len(loc) >= 2 and loc[0] == "body" and loc[1] in BUSINESS_CODES:
            code, message = BUSINESS_CODES[loc[1]]
            return Rejected(422, message, [{"code": code, "message": message}])
    return None


def make_write_app(**kwargs: Any) -> WriteResolver:
    app = make_app(WriteResolver, **kwargs)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        business = _business_error(exc)
        if business is not None:
            return error_response(business.status, business.message, business.errors, headers=NO_STORE)
        response = invalid(exc)
        response.headers.update(NO_STORE)
        return response

    return app
