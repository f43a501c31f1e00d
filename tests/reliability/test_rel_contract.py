"""Contract fuzzing: schemathesis against the gateway's own OpenAPI document (GET /api/v1/openapi.json),
through the local stack, every operation, with stateful links where they fit.

Checks: no 5xx of any kind, every status, content type, header and body as the document says, schema-
invalid requests refused, and the API key enforced where the document says it is needed.

The bounded run (make test) uses a fixed seed and a few examples per operation. The longer run is one
command, either of:

    LONG=1 make test                      # includes test_contract_long (REL_FUZZ_EXAMPLES, default 100)
    make dev  # then, in another shell:
    .venv/bin/schemathesis run http://127.0.0.1:3000/api/v1/openapi.json --url http://127.0.0.1:3000 \\
        -H 'x-api-key: local-dev-api-key-000000' --checks all --max-examples 200
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rel_kit import ROOT, budget_kept_fresh

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
)
# schemathesis's list of statuses that reject invalid data lacks 413 (body too large), 414 (URI too
# long) and 431 (headers over API Gateway's 10,240 bytes): the gateway's answers to oversized input.
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 422, 428, 429, 431]
"""
# Links the document does not declare (yet): how one answer feeds the next call.
LINKS = {
    ("/api/v1/book_record/{location_id}", "post", "201"): {
        "GetBooking": (
            "get_online_booking_details",
            {
                "location_id": "$request.path.location_id",
                "record_id": "$response.body#/data/0/record_id",
                "record_hash": "$response.body#/data/0/record_hash",
            },
        ),
        "ListBookings": (
            "get_user_appointment_list",
            {
                "record_id": "$response.body#/data/0/record_id",
                "record_hash": "$response.body#/data/0/record_hash",
            },
        ),
        "CancelBooking": (
            "delete_user_appointment",
            {
                "record_id": "$response.body#/data/0/record_id",
                "record_hash": "$response.body#/data/0/record_hash",
            },
        ),
    },
    ("/api/v1/bookform/{id}", "get", "200"): {
        "Services": (
            "get_services_available_for_booking",
            {"location_id": "$response.body#/data/company_id"},
        ),
        "Dates": ("get_dates_available_for_booking", {"location_id": "$response.body#/data/company_id"}),
    },
    ("/api/v1/book_staff/{location_id}", "get", "200"): {
        "Seances": (
            "get_nearest_time_slots",
            {"location_id": "$request.path.location_id", "team_member_id": "$response.body#/data/0/id"},
        ),
    },
    ("/api/v1/book_dates/{location_id}", "get", "200"): {
        "Times": (
            "get_time_slots_for_booking",
            {
                "location_id": "$request.path.location_id",
                "team_member_id": "0",
                "date": "$response.body#/data/booking_dates/0",
            },
        ),
    },
    ("/api/v1/booking/auth", "post", "201"): {
        "Me": ("get_booking_user", {"header.authorization": "User {$response.body#/data/user_token}"}),
    },
}


def document_with_links(doc: dict) -> tuple[dict, int]:
    ids = {
        op.get("operationId")
        for item in doc["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    }
    added = 0
    for (path, method, status), links in LINKS.items():
        responses = doc["paths"].get(path, {}).get(method, {}).get("responses", {})
        if status not in responses:
            continue
        for name, (target, params) in links.items():
            if target in ids:
                responses[status].setdefault("links", {})[name] = {
                    "operationId": target,
                    "parameters": params,
                }
                added += 1
    return doc, added


def run_schemathesis(
    rel, tmp: Path, examples: int, phases: str, max_time: int | None, seed: int | None
) -> dict:
    doc = rel.call("GET", "openapi.json", api_key=False)
    assert doc.status == 200 and doc.json.get("openapi", "").startswith("3."), doc.short()
    schema, links = document_with_links(doc.json)
    assert links >= 5, "the operations the links join are missing from the document"
    (tmp / "openapi.json").write_text(json.dumps(schema))
    exe = Path(sys.executable).with_name("schemathesis")
    (tmp / "schemathesis.toml").write_text(CONFIG)
    cmd = [
        str(exe),
        "--config-file",
        str(tmp / "schemathesis.toml"),
        "run",
        str(tmp / "openapi.json"),
        "--url",
        rel.stack.gateway_url,
        "-H",
        f"x-api-key: {rel.stack.api_key}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        phases,
        "--max-examples",
        str(examples),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--no-shrink",
        "--report",
        "json",
        "--report-json-path",
        str(tmp / "report.json"),
        "--warnings",
        "off",
    ]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if max_time:
        cmd += ["--max-time", str(max_time)]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"}
    with budget_kept_fresh(rel):
        proc = subprocess.run(
            cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=(max_time or 600) + 120
        )
    report = json.loads((tmp / "report.json").read_text()) if (tmp / "report.json").exists() else {}
    return {"proc": proc, "report": report}


def _verdict(out: dict) -> None:
    proc, report = out["proc"], out["report"]
    lines = (proc.stdout + proc.stderr).splitlines()
    tail = "\n".join(line if len(line) < 400 else line[:400] + " ..." for line in lines)[-15000:]
    assert report, f"schemathesis wrote no report (exit {proc.returncode}):\n{tail}"
    ops = report["operations"]
    cases = report["test_cases"]
    print(
        f"\nschemathesis: {ops['tested']}/{ops['total']} operations, {cases['generated']} test cases, "
        f"{cases['with_failures']} with failures, {report['running_time']:.1f} s"
    )
    assert ops["total"] == ops["tested"] == 24, f"not every operation was tested: {ops}\n{tail}"
    failures = [f"{f['code']} {f['title']}: {', '.join(f['operations'])}" for f in report["failures"]]
    errors = [json.dumps(e)[:300] for e in report.get("errors", [])]
    assert not failures and not errors and proc.returncode == 0, (
        "contract violations:\n" + "\n".join(failures + errors) + "\n\n" + tail
    )


@pytest.fixture
def fuzz_stack(rel):
    rel.reset()
    yield rel
    rel.reset()


def test_contract_bounded(fuzz_stack, tmp_path):
    examples = int(os.environ.get("REL_FUZZ_EXAMPLES_BOUNDED", "5"))
    _verdict(run_schemathesis(fuzz_stack, tmp_path, examples, "examples,fuzzing,stateful", None, seed=8))


@pytest.mark.slow
@pytest.mark.timeout(1200 + 300)  # schemathesis may take its 1200 s; the suite's 300 s would cut it off
def test_contract_long(fuzz_stack, tmp_path):
    examples = int(os.environ.get("REL_FUZZ_EXAMPLES", "100"))
    _verdict(
        run_schemathesis(fuzz_stack, tmp_path, examples, "examples,coverage,fuzzing,stateful", 1200, None)
    )
