"""write_app.py on Powertools' public hooks: the body is read before resolving and refused only when the
matched route declares one, at the moment Powertools asks for it (after the route's other parameters), as
the gateway has always answered. These pin what the write app relies on in Powertools' resolver: if a
release stopped calling `json_body_deserializer` for body routes only, or called it at another moment,
they fail."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from booking_gateway.app_factory import make_handler
from booking_gateway.write_app import make_write_app
from pydantic import BaseModel

from devstack.runtime import LambdaContext


class Req(BaseModel):
    phone: str | None = None  # everything optional: a form body would validate, if it were parsed


seen: list[dict] = []


def build():
    """A write app with a body route and a bodyless one (built under the unit tier's environment)."""
    app = make_write_app()

    @app.post("/api/v1/things/<thing_id>")
    def post_thing(thing_id: Annotated[int, Path(gt=0)], req: Annotated[Req, Body(embed=False)]):
        seen.append(req.model_dump())
        return {"ok": True}

    @app.delete("/api/v1/things/<thing_id>")
    def delete_thing(thing_id: Annotated[int, Path(gt=0)]):
        return {"deleted": thing_id}

    return make_handler(app)


_handler: list = []


def call(method: str, path: str, body: str | None, content_type: str | None = "application/json") -> tuple:
    headers = {"Accept": "application/json"} | ({"Content-Type": content_type} if content_type else {})
    event = {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"resourcePath": path, "httpMethod": method, "requestId": "r1", "identity": {}},
        "body": body,
        "isBase64Encoded": False,
    }
    reply = _handler[0](event, LambdaContext("WriteAppTest", 512, timeout=15))
    answer = json.loads(reply["body"])
    return reply["statusCode"], answer["meta"]["message"] if "meta" in answer else answer


@pytest.fixture(autouse=True)
def _app():
    seen.clear()
    _handler[:] = [build()]


def test_a_json_object_reaches_the_route():
    assert call("POST", "/api/v1/things/1", '{"phone": "+1"}')[0] == 200 and seen == [{"phone": "+1"}]


def test_a_form_body_is_refused_even_where_it_would_validate():
    status, message = call("POST", "/api/v1/things/1", "phone=%2B1", "application/x-www-form-urlencoded")
    assert (status, seen) == (415, []) and "as JSON" in message


@pytest.mark.parametrize(
    ("body", "status"),
    [("", 422), ("{oops", 422), ("[1]", 422), ("x" * 20_000, 413)],
    ids=["empty", "broken", "a list", "oversized"],
)
def test_a_refused_body_is_answered_on_a_body_route(body, status):
    assert call("POST", "/api/v1/things/1", body)[0] == status and seen == []


def test_the_body_is_refused_before_the_other_parameters_are_reported():
    assert call("POST", "/api/v1/things/0", "{oops")[0] == 422
    status, message = call("POST", "/api/v1/things/0", "x", "text/plain")
    assert status == 415 and "as JSON" in message  # Powertools asked for the body: its refusal wins


def test_a_route_without_a_body_ignores_one():
    assert call("DELETE", "/api/v1/things/7", "not json at all", "text/plain") == (200, {"deleted": 7})


def test_an_unmatched_path_is_404_whatever_its_body():
    assert call("POST", "/api/v1/elsewhere", "x", "text/plain")[0] == 404


def test_nothing_is_left_for_the_next_request():
    assert call("POST", "/api/v1/things/1", "x", "text/plain")[0] == 415
    assert call("POST", "/api/v1/things/1", "{}")[0] == 200
