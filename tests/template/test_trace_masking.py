"""X-Ray traces without secrets in paths.

End to end: two functions whose paths carry a record hash and a review token run as Lambda runs them with
active tracing (trace_probe.py, a child process); a UDP socket here plays the X-Ray daemon. What arrives
must record the upstream calls, with the secrets masked and the trace ids intact. API Gateway's own stage
segments, which record the path too and cannot be masked, are off in template.yaml (see its checkov skip).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from booking_gateway.masking import MASK, redact_trace

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
TRACE_ID = "1-6745a1b2-0123456789abcdef01234567"
HEADER = f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1"
EVENTS = {
    name: json.loads((ROOT / "events" / f"{name}.json").read_text())
    for name in ("user_records_get", "master_record_review_get")
}


def _subsegments(doc: dict):
    yield doc
    for sub in doc.get("subsegments") or []:
        yield from _subsegments(sub)


def _run_traced(events: list[str]) -> tuple[list[str], list[dict], str]:
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    daemon.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{daemon.getsockname()[1]}"
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    try:
        probe = subprocess.run(
            [sys.executable, str(HERE / "trace_probe.py"), address, HEADER, *events],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=ROOT,
            env=env,
        )
        assert probe.returncode == 0, probe.stderr[-3000:]
        daemon.setblocking(False)
        datagrams = []
        while True:
            try:
                datagrams.append(daemon.recv(1 << 16).decode())
            except BlockingIOError:
                break
    finally:
        daemon.close()
    lines = [json.loads(line) for line in probe.stdout.splitlines() if line.startswith("{")]
    docs = []
    for datagram in datagrams:
        header, _, body = datagram.partition("\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        docs.append(json.loads(body))
    return datagrams, docs, json.dumps(lines)


def test_upstream_urls_in_traces_are_masked_end_to_end():
    datagrams, docs, outcome = _run_traced(list(EVENTS))
    assert '"denied": []' in outcome and '"status"' in outcome, outcome
    segments = [seg for doc in docs for seg in _subsegments(doc)]
    urls = [
        seg["http"]["request"]["url"]
        for seg in segments
        if "url" in (seg.get("http") or {}).get("request", {})
    ]
    # The upstream calls were traced (patched http.client under urllib3), with the secret part masked.
    record_hash = EVENTS["user_records_get"]["pathParameters"]["record_hash"]
    token = EVENTS["master_record_review_get"]["pathParameters"]["record_token"]
    assert any(url.endswith(f"/user/records/3000001/{MASK}") for url in urls), urls
    assert any(url.endswith(f"/master_record_review/{MASK}") for url in urls), urls
    raw = "\n".join(datagrams)
    for secret in (record_hash, token, "sandbox-partner-token"):
        assert secret not in raw
    # AWS calls were traced too (botocore), and the ids X-Ray joins segments by are untouched.
    assert any((seg.get("aws") or {}).get("operation") == "GetSecretValue" for seg in segments)
    assert {doc["trace_id"] for doc in docs} == {TRACE_ID}
    assert all(len(seg["id"]) == 16 for seg in segments)


def test_redact_trace_masks_values_and_keeps_structure():
    doc = {
        "id": "70de5b6f19ff9a0a",
        "trace_id": TRACE_ID,
        "name": "api.alteg.io",
        "start_time": 1.5,
        "end_time": 2.5,
        "namespace": "remote",
        "http": {
            "request": {
                "url": "https://api.alteg.io/api/v1/book_record/1/2/6ec9d28663ca828dd5f4b3b2e4b06ce6",
                "method": "GET",
            },
            "response": {"status": 201},
        },
        "cause": {
            "exceptions": [
                {
                    "id": "0123456789abcdef",
                    "message": "read timeout on /master_record_review/tok-secret-1 for +37120000001",
                }
            ]
        },
        "metadata": {"default": {"phone": "+37120000001", "note": "ok"}},
        "subsegments": [
            {
                "id": "1111111111111111",
                "name": "## handler",
                "http": {"request": {"url": "/api/v1/user/records/5/abcdef0123456789abcdef"}},
            }
        ],
    }
    out = redact_trace(doc)
    assert out["http"]["request"]["url"] == f"https://api.alteg.io/api/v1/book_record/1/2/{MASK}"
    assert out["http"]["request"]["method"] == "GET" and out["http"]["response"] == {"status": 201}
    message = out["cause"]["exceptions"][0]["message"]
    assert "tok-secret-1" not in message and "37120000001" not in message
    assert (
        out["metadata"]["default"]["phone"] != "+37120000001" and out["metadata"]["default"]["note"] == "ok"
    )
    assert out["subsegments"][0]["http"]["request"]["url"] == f"/api/v1/user/records/5/{MASK}"
    for key in ("id", "trace_id", "start_time", "end_time", "namespace", "name"):
        assert out[key] == doc[key]
    assert out["subsegments"][0]["id"] == "1111111111111111"
    assert out["cause"]["exceptions"][0]["id"] == "0123456789abcdef"
