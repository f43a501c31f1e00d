"""A local API Gateway REST API: template routes -> REST proxy events (v1.0) -> handlers -> HTTP responses.

It answers like API Gateway where the gateway itself answers: 403 Missing Authentication Token for
an unknown route or method (TRACE included), 403 Forbidden without the right x-api-key, 413 for a body
over its payload limit, 431 for request headers over its limit, 502 Internal server error when the
function fails or returns a malformed response, and the CORS preflight SAM adds.

Each of those answers is a response type, and the template's GatewayResponses change them as API
Gateway does: the type's own entry, else DEFAULT_4XX / DEFAULT_5XX, gives the status (StatusCode), the
headers (static 'values' or method.request.header.x) and the body (its application/json template, with
$context.error.messageString and the like filled in); a type nobody customised keeps its default.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote

from .cfn import ACCOUNT, api_key_id
from .httpd import Request, Response
from .runtime import FunctionError, Functions
from .template import GatewayResponse, Route, Template

log = logging.getLogger("devstack")
API_ID = "local00api"
API_HOST = f"{API_ID}.execute-api.localhost"  # the Host CloudFront sends to the API origin
_SECRET_PARAMS = ("hash", "token", "code", "password", "secret")  # path parameters the access log masks
# The methods a REST API resource can have; ANY stands for all of them and nothing else.
METHODS = frozenset(("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"))
# "Total combined size of request line and header values: 10240 bytes" (REST API quotas,
# docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html);
# over it API Gateway answers 431 Request Header Fields Too Large before any integration runs (seen in
# the field: backbencher.dev/solved-431-status-code-with-request-header-fields-too-large).
HEADER_LIMIT = 10_240


# API Gateway's own answers: response type -> its default status, message and x-amzn-ErrorType.
RESPONSE_TYPES: dict[str, tuple[int, str, str | None]] = {
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "INVALID_API_KEY": (403, "Forbidden", "ForbiddenException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", None),
    "DEFAULT_4XX": (431, "Request Header Fields Too Large", None),  # no type of its own: the default's
    "DEFAULT_5XX": (502, "Internal server error", "InternalServerErrorException"),  # a function failed
}


def gateway_error(
    kind: str, req: Request | None = None, responses: dict[str, GatewayResponse] | None = None
) -> Response:
    """API Gateway's own answer of response type `kind`, as the API's GatewayResponses shape it."""
    status, message, error_type = RESPONSE_TYPES[kind]
    responses = responses or {}
    custom = responses.get(kind) or responses.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    if custom is None:
        return Response(status, headers, json.dumps({"message": message}).encode())
    status = custom.status or status
    for name, value in custom.headers.items():
        given = _response_parameter(value, req)
        if given is not None:
            headers.append((name, given))
    template = custom.templates.get("application/json")
    body = json.dumps({"message": message}) if template is None else _fill(template, kind, message)
    return Response(status, headers, body.encode())


def _response_parameter(value: str, req: Request | None) -> str | None:
    """A GatewayResponse header's value: a 'static' one, or a request header (method.request.header.x)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if value.startswith("method.request.header.") and req is not None:
        return req.header(value.removeprefix("method.request.header."))
    return None


def _fill(template: str, kind: str, message: str) -> str:
    """The $context variables a gateway response template may use (API Gateway runs no VTL here)."""
    values = {
        "$context.error.messageString": json.dumps(message),
        "$context.error.message": message,
        "$context.error.responseType": kind,
    }
    for name in sorted(values, key=len, reverse=True):  # messageString before message
        template = template.replace(name, values[name])
    return template


def header_size(req: Request) -> int:
    """The request line and the header values, as the quota counts them (names are not counted)."""
    target = req.path + (f"?{req.query}" if req.query else "")
    line = f"{req.method} {target} HTTP/1.1"
    return len(line.encode("latin-1", "replace")) + sum(
        len(v.encode("latin-1", "replace")) for _, v in req.headers
    )


class Router:
    """Resource matching as API Gateway does it: literal segments beat {params}, which beat {greedy+}."""

    def __init__(self, routes: list[Route], stages: set[str]):
        self.routes = routes
        self.stages = stages
        self._resources: dict[str, list[Route]] = {}
        for r in routes:
            self._resources.setdefault(r.path, []).append(r)

    def strip_stage(self, path: str) -> str:
        # /dev/api/v1/... (execute-api URL, or CloudFront's OriginPath) and /api/v1/... both work.
        first = path.split("/", 2)[1] if path.count("/") >= 2 else ""
        return path[len(first) + 1 :] if first in self.stages else path

    def resource(self, path: str) -> tuple[str, dict[str, str]] | None:
        trimmed = path[:-1] if len(path) > 1 and path.endswith("/") else path  # /x/ matches /x
        parts = trimmed.split("/")[1:]
        best = None
        for resource in self._resources:
            params = self._match(resource.split("/")[1:], parts)
            if params is not None:
                rank = tuple(0 if "{" not in s else 2 if s.endswith("+}") else 1 for s in resource.split("/"))
                if best is None or rank < best[0]:
                    best = (rank, resource, params)
        return (best[1], best[2]) if best else None

    @staticmethod
    def _match(template: list[str], parts: list[str]) -> dict[str, str] | None:
        params = {}
        for i, seg in enumerate(template):
            if seg.startswith("{") and seg.endswith("+}"):
                rest = parts[i:]
                if not rest or not all(rest):
                    return None
                params[seg[1:-2]] = unquote("/".join(rest))
                return params
            if i >= len(parts) or not parts[i]:
                return None
            if seg.startswith("{") and seg.endswith("}"):
                params[seg[1:-1]] = unquote(parts[i])  # pathParameters arrive decoded, `path` does not
            elif seg != parts[i]:
                return None
        return params if len(template) == len(parts) else None

    def methods(self, resource: str) -> dict[str, Route]:
        return {r.method: r for r in self._resources[resource]}


class Gateway:
    def __init__(self, template: Template, functions: Functions, api_key: str):
        self.template = template
        self.functions = functions
        self.api_key = api_key  # the page's (the template's PageApiKey)
        self.api_key_id = api_key_id(api_key)
        self.keys = {api_key: self.api_key_id}  # every key on a usage plan: value -> id
        self.router = Router(template.routes, {template.apis[r.api].stage for r in template.routes})
        # What the API answers itself (the routes' API: one per template here) for any request.
        apis = {r.api for r in template.routes}
        self.responses = template.apis[apis.pop()].gateway_responses if len(apis) == 1 else {}

    def add_api_key(self, value: str) -> str:
        """Another key, as `aws apigateway create-api-key` + a usage plan key give a partner; its id."""
        self.keys[value] = api_key_id(value)
        return self.keys[value]

    def __call__(self, req: Request) -> Response:
        """API Gateway's front door (its size limit), then handle()."""
        if header_size(req) > HEADER_LIMIT:
            return gateway_error("DEFAULT_4XX", req, self.responses)
        return self.handle(req)

    def too_large(self, req: Request) -> Response:
        """A body over the payload limit (the HTTP server reads no further)."""
        return gateway_error("REQUEST_TOO_LARGE", req, self.responses)

    def handle(self, req: Request) -> Response:
        """Routing, the API key and the function, past the front door: what in-process tests call to reach
        a function with what the front door refuses (e.g. a 150 KB query string)."""
        missing = "MISSING_AUTHENTICATION_TOKEN"
        if req.method not in METHODS:  # no resource can have it, so none matches (AWS answers so)
            return gateway_error(missing, req, self.responses)
        path = self.router.strip_stage(req.path)
        found = self.router.resource(path)
        if found is None:
            return gateway_error(missing, req, self.responses)
        resource, params = found
        methods = self.router.methods(resource)
        route = methods.get(req.method)
        cors = self.template.apis[next(iter(methods.values())).api].cors
        if route is None and req.method == "OPTIONS" and cors is not None:
            # SAM adds a mock OPTIONS method to every path of an API with Cors (no key, even beside ANY).
            return Response(200, [("Content-Type", "application/json"), *cors.items()], b"")
        route = route or methods.get("ANY")
        if route is None:
            return gateway_error(missing, req, self.responses)
        key = req.header("x-api-key")
        if route.api_key_required and key not in self.keys:
            return gateway_error("INVALID_API_KEY", req, self.responses)
        event = self.event(req, route, path, params, key if route.api_key_required else None)
        resp = self.invoke(route, event)
        resp.log_path = _mask_path(route.path, params, path)
        return resp

    def event(self, req: Request, route: Route, path: str, params: dict, api_key: str | None) -> dict:
        """The REST API's Lambda proxy event, payload format 1.0 (the shape of events/*.json)."""
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        stage = self.template.apis[route.api].stage
        headers = [(k, v) for k, v in req.headers if k.lower() != "x-forwarded-for"]
        headers += [
            ("X-Forwarded-For", forwarded_for(req)),
            ("X-Forwarded-Port", str(req.server_port)),
            ("X-Forwarded-Proto", "http"),
        ]
        if req.header("X-Amzn-Trace-Id") is None:
            headers.append(("X-Amzn-Trace-Id", f"Root=1-{int(now.timestamp()):08x}-{uuid.uuid4().hex[:24]}"))
        single, multi = _single_and_multi(headers, fold_case=True)
        q_single, q_multi = _single_and_multi(parse_qsl(req.query, keep_blank_values=True), fold_case=False)
        body, is_b64 = _event_body(req.body)
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": req.method,
            "headers": single or None,
            "multiValueHeaders": multi or None,
            "queryStringParameters": q_single or None,
            "multiValueQueryStringParameters": q_multi or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": hashlib.sha256(route.path.encode()).hexdigest()[:6],
                "resourcePath": route.path,
                "httpMethod": req.method,
                "extendedRequestId": base64.b32encode(uuid.uuid4().bytes).decode()[:16],
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "path": f"/{stage}{path}",
                "accountId": ACCOUNT,
                "protocol": "HTTP/1.1",
                "stage": stage,
                "domainPrefix": API_ID,
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "requestId": request_id,
                "identity": _identity(req, api_key, self.keys.get(api_key) if api_key else None),
                "domainName": req.header("Host") or API_HOST,
                "deploymentId": "local",
                "apiId": API_ID,
            },
            "body": body,
            "isBase64Encoded": is_b64,
        }

    def invoke(self, route: Route, event: dict) -> Response:
        request_id = event["requestContext"]["requestId"]
        try:
            result = self.functions.invoke(route.function, event, request_id)
            resp = proxy_response(result)
        except (FunctionError, MalformedResponse) as exc:
            if isinstance(exc, MalformedResponse):
                log.error("%s: Malformed Lambda proxy response: %s", route.function, exc)
            resp = gateway_error("DEFAULT_5XX", None, self.template.apis[route.api].gateway_responses)
        trace = event["headers"].get("X-Amzn-Trace-Id") if event["headers"] else None
        resp.headers += [("x-amzn-RequestId", request_id), ("x-amz-apigw-id", request_id[:16])]
        if trace:
            resp.headers.append(("X-Amzn-Trace-Id", trace))
        return resp


class MalformedResponse(ValueError):
    pass


def proxy_response(result: object) -> Response:
    """A handler's result as API Gateway turns it into HTTP (headers and multiValueHeaders merged)."""
    if not isinstance(result, dict):
        raise MalformedResponse(f"the result is {type(result).__name__}, not an object")
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status!r}")
    headers = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    body = result.get("body")
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise MalformedResponse("headers and multiValueHeaders must be objects")
    if body is not None and not isinstance(body, str):
        raise MalformedResponse(f"body must be a string, not {type(body).__name__}")
    if not all(isinstance(v, list) for v in multi.values()):
        raise MalformedResponse("multiValueHeaders values must be lists")
    # The same name and value in both is sent once (the multiValueHeaders copy); other values add up.
    in_multi = {(k.lower(), str(v)) for k, vs in multi.items() for v in vs}
    merged = [(k, str(v)) for k, v in headers.items() if (k.lower(), str(v)) not in in_multi]
    merged += [(k, str(v)) for k, vs in multi.items() for v in vs]
    if not any(k.lower() == "content-type" for k, _ in merged):
        merged.append(("Content-Type", "application/json"))  # API Gateway's default
    if result.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body or "", validate=True)
        except ValueError as exc:
            raise MalformedResponse("isBase64Encoded but the body is not base64") from exc
    else:
        raw = (body or "").encode()
    return Response(status, merged, raw)


def forwarded_for(req: Request) -> str:
    """X-Forwarded-For as a proxy passes it on: what came (several lines joined, in order), then the address
    of the connection it took. API Gateway does this and takes that address as identity.sourceIp; CloudFront
    does it too, so behind it the viewer's address is the second from the right and the edge's the last."""
    sent = [v.strip() for k, v in req.headers if k.lower() == "x-forwarded-for" and v.strip()]
    return ", ".join([*sent, req.client_ip])


def _single_and_multi(pairs, fold_case: bool) -> tuple[dict, dict]:
    """`headers` / `queryStringParameters` keep the last value; the multi-value ones keep all, in order."""
    multi: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for k, v in pairs:
        key = names.setdefault(k.lower(), k) if fold_case else k  # header names: first spelling wins
        multi.setdefault(key, []).append(v)
    return {k: vs[-1] for k, vs in multi.items()}, multi


def _event_body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:  # not text: send it as API Gateway does binary, base64
        return base64.b64encode(raw).decode(), True


def _identity(req: Request, api_key: str | None, api_key_id: str | None) -> dict:
    empty = (
        "cognitoIdentityPoolId",
        "cognitoIdentityId",
        "principalOrgId",
        "cognitoAuthenticationType",
        "userArn",
        "caller",
        "accessKey",
        "user",
        "cognitoAuthenticationProvider",
        "accountId",
    )
    return {
        **dict.fromkeys(empty),
        "sourceIp": req.client_ip,
        "userAgent": req.header("User-Agent"),
        "apiKey": api_key,
        "apiKeyId": api_key_id,
    }


def _mask_path(resource: str, params: dict, path: str) -> str:
    """The request path for the access log, with hashes, tokens and codes starred out."""
    secret = {k for k in params if any(s in k.lower() for s in _SECRET_PARAMS)}
    if not secret:
        return path
    out = []
    for seg in resource.split("/"):
        name = seg[1:-1].rstrip("+") if seg.startswith("{") else None
        out.append(seg if name is None else ("***" if name in secret else params.get(name, seg)))
    return "/".join(out)
