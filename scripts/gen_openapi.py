"""Build the gateway's OpenAPI document from every function's own routes and models.

In Lambda the openapi function cannot import the others, so the merged document is generated here and
committed as functions/openapi/openapi.json; a test fails when it differs from a fresh generation.
Usage: python scripts/gen_openapi.py [--check]
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "functions" / "openapi" / "openapi.json"
INFO = {
    "title": "Altegio booking gateway",
    "version": "1.0.0",
    "description": "Altegio's Online Booking API behind a caching, rate-budgeted gateway. Send x-api-key.",
}


# What API Gateway answers itself, before or instead of a function (template.yaml's GatewayResponses put
# each in Altegio's envelope): documented on every operation, beside what the function answers.
GATEWAY_ANSWERS = {
    403: "API Gateway: no valid x-api-key (INVALID_API_KEY), or the request was filtered",
    404: "API Gateway: no such path or method (MISSING_AUTHENTICATION_TOKEN)",
    413: "API Gateway: request body over its payload limit (REQUEST_TOO_LARGE)",
    429: "API Gateway: too many requests for this API key, or its quota is spent (Retry-After)",
    431: "API Gateway: request line and headers over 10,240 bytes",
    502: "API Gateway: the function failed",
    504: "API Gateway: the function did not answer in time",
}
ERROR_ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}


def _with_gateway_answers(operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    for status, text in GATEWAY_ANSWERS.items():
        entry = responses.setdefault(str(status), {"description": "", "content": ERROR_ENVELOPE})
        entry["description"] = f"{entry['description']}; {text}" if entry["description"] else text
        entry.setdefault("content", ERROR_ENVELOPE)
        if status == 429:
            entry["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}
            }
    operation["responses"] = dict(sorted(responses.items()))


def _load(app_py: Path):
    spec = importlib.util.spec_from_file_location(f"openapi_src_{app_py.parent.name}", app_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build() -> dict:
    """The merged document. The settings it needs are set for the build only: a test process that runs it
    must not pass GATEWAY_OPENAPI_MODELS=1 on to the functions it starts later (their cold start)."""
    with mock.patch.dict(os.environ), mock.patch.object(sys, "path", list(sys.path)):
        return _build()


def _build() -> dict:
    os.environ.setdefault("ALLOWED_ORIGIN", "https://booking.example.com")
    for name in ("CACHE_TABLE", "BUDGET_TABLE", "PARTNER_SECRET_ID"):  # every function requires them
        os.environ.setdefault(name, "unused-by-the-document")
    os.environ["GATEWAY_OPENAPI_MODELS"] = "1"  # read routes document Altegio's payload models (read_params)
    sys.path.insert(0, str(ROOT / "layers" / "common"))
    doc: dict = {"openapi": "3.1.0", "info": INFO, "paths": {}, "components": {"schemas": {}}}
    for app_py in sorted(ROOT.glob("functions/*/app.py")):
        if app_py.parent.name == "openapi":
            continue
        module = _load(app_py)
        if not hasattr(module, "app"):  # a function without routes (the scheduled warmer)
            continue
        schema = json.loads(module.app.get_openapi_json_schema(title=INFO["title"]))
        for path, ops in schema.get("paths", {}).items():
            doc["paths"].setdefault(path, {}).update(ops)
        doc["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    doc["paths"] = dict(sorted(doc["paths"].items()))
    for item in doc["paths"].values():
        for operation in item.values():
            _with_gateway_answers(operation)
    doc["components"]["schemas"] = dict(sorted(doc["components"]["schemas"].items()))
    doc["components"]["securitySchemes"] = {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
    doc["security"] = [{"apiKey": []}]
    return doc


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=False, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(
            0
            if OUT.read_text() == text
            else "functions/openapi/openapi.json is stale: run scripts/gen_openapi.py"
        )
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
