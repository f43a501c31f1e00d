"""Figures behind two read-path decisions (numbers for the report, not a test).

1. Cold import of each read handler (fresh interpreter, layer + function folder on sys.path, env as in
   Lambda, ended with os._exit like a Lambda init), against `python -c pass` and a bare `import boto3`.
2. A cache hit served from DynamoDB (moto server over HTTP, the closest local stand-in for a network
   hop) against the same hit served from an in-memory dict in front of it (a per-container L1).

Usage: .venv/bin/python scripts/measure_gateway.py [--runs 7] [--hits 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READS = ["bookform", "i18n", "privacy_policy", "book_services", "book_staff", "book_staff_seances"]
READS += ["book_dates", "book_times", "openapi"]
ENV = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "ALLOWED_LOCATION_IDS": "101,202",
    "CACHE_TABLE": "CacheTable",
    "BUDGET_TABLE": "BudgetTable",
    "PARTNER_SECRET_ID": "partner",
    "POWERTOOLS_SERVICE_NAME": "booking-gateway",
    "POWERTOOLS_METRICS_NAMESPACE": "BookingGateway",
}
_IMPORT = """
import importlib.util, os, sys, time
t = time.perf_counter()
target = sys.argv[1]
if target == "pass":
    pass
elif target == "boto3":
    import boto3  # noqa: F401
else:
    sys.path[:0] = [{layer!r}, os.path.join({functions!r}, target)]
    spec = importlib.util.spec_from_file_location("app", os.path.join({functions!r}, target, "app.py"))
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print((time.perf_counter() - t) * 1000, flush=True)
os._exit(0)
"""


def cold_imports(runs: int) -> dict[str, dict[str, float]]:
    code = _IMPORT.format(layer=str(ROOT / "layers" / "common"), functions=str(ROOT / "functions"))
    env = {**os.environ, **ENV}
    out = {}
    for target in ["pass", "boto3", *READS]:
        subprocess.run([sys.executable, "-c", code, target], env=env, check=True, capture_output=True)
        inner, wall = [], []
        for _ in range(runs):
            t = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", code, target], env=env, check=True, capture_output=True
            )
            wall.append((time.perf_counter() - t) * 1000)
            inner.append(float(done.stdout))
        out[target] = {"import_ms": statistics.median(inner), "process_ms": statistics.median(wall)}
    return out


def hits(n: int) -> dict[str, float]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(ENV, AWS_ENDPOINT_URL=f"http://{host}:{port}", ALTEGIO_BASE_URL="http://127.0.0.1:9")
    sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT)]
    import boto3

    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="CacheTable",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    from booking_gateway import cache, read_path

    from devstack.runtime import LambdaContext, load_module

    app = load_module(
        ROOT / "functions/book_times/app.py", "measure_book_times", ROOT / "functions/book_times"
    )
    body = json.dumps({"success": True, "data": [{"time": "10:00"}] * 40, "meta": []})
    event = json.loads((ROOT / "events/book_times.json").read_text())
    ctx = LambdaContext("BookTimesFunction", 512, 15)
    path, query = event["path"].removeprefix("/api/v1"), [("service_ids[]", "10011")]
    key = cache.cache_key("book_times", 101, path, query)
    cache.write(key, body, time.time(), 3600, 7200, 0)

    def timed(fn) -> list[float]:
        for _ in range(20):
            fn()
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1000)
        return samples

    def invoke():
        result = app.lambda_handler(json.loads(json.dumps(event)), ctx)
        headers = result.get("multiValueHeaders") or {}
        assert headers.get("X-Cache") == ["hit"], result

    ddb_read = timed(lambda: cache.read(key, 101))
    via_ddb = timed(invoke)
    l1 = {}
    real_read = cache.read

    def l1_read(k, scope):  # what an in-memory layer would cost: a dict lookup, no DynamoDB
        if k not in l1:
            l1[k] = real_read(k, scope)
        return l1[k]

    read_path.cache.read = l1_read
    try:
        via_l1 = timed(invoke)
    finally:
        read_path.cache.read = real_read
    server.stop()

    def p(samples, q):
        return statistics.quantiles(samples, n=100)[q - 1]

    return {
        "dynamodb_batch_get_p50_ms": statistics.median(ddb_read),
        "hit_via_dynamodb_p50_ms": statistics.median(via_ddb),
        "hit_via_dynamodb_p95_ms": p(via_ddb, 95),
        "hit_via_memory_p50_ms": statistics.median(via_l1),
        "hit_via_memory_p95_ms": p(via_l1, 95),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--hits", type=int, default=300)
    ap.add_argument("--skip-imports", action="store_true")
    a = ap.parse_args()
    if not a.skip_imports:
        for name, fig in cold_imports(a.runs).items():
            print(
                f"{name:20s} import {fig['import_ms']:6.0f} ms   process {fig['process_ms']:6.0f} ms",
                file=sys.stderr,
            )
    figures = hits(a.hits)  # handlers print their EMF metrics to stdout: report on stderr
    for name, value in figures.items():
        print(f"{name:28s} {value:7.2f}", file=sys.stderr)
