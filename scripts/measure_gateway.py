"""The figure behind one read-path decision (a number for the report, not a test): a cache hit served
from DynamoDB (moto server over HTTP, the closest local stand-in for a network hop) against the same hit
served from an in-memory dict in front of it (a per-container L1).

Cold imports of the handlers are measured by `python -m bench` (bench/coldstart.py), not here.

Usage: .venv/bin/python scripts/measure_gateway.py [--hits 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
    from booking_gateway import cache, clock, read_path

    from devstack.runtime import LambdaContext, load_module

    app = load_module(
        ROOT / "functions/book_times/app.py", "measure_book_times", ROOT / "functions/book_times"
    )
    body = json.dumps({"success": True, "data": [{"time": "10:00"}] * 40, "meta": []})
    event = json.loads((ROOT / "events/book_times.json").read_text())
    ctx = LambdaContext("BookTimesFunction", 512, 15)
    path, query = event["path"].removeprefix("/api/v1"), [("service_ids[]", "10011")]
    key = cache.cache_key("book_times", 101, path, query)
    day = path.rsplit("/", 1)[1]  # a day's list of times depends on that day's generation
    cache.write(key, body, clock.now(), 3600, 7200, gen=cache.Gen())

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

    ddb_read = timed(lambda: cache.read(key, 101, day))
    via_ddb = timed(invoke)
    l1 = {}
    real_read = cache.read

    def l1_read(k, *args):  # what an in-memory layer would cost: a dict lookup, no DynamoDB
        if k not in l1:
            l1[k] = real_read(k, *args)
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
    ap.add_argument("--hits", type=int, default=300)
    a = ap.parse_args()
    figures = hits(max(2, a.hits))  # handlers print their EMF metrics to stdout: report on stderr
    for name, value in figures.items():
        print(f"{name:28s} {value:7.2f}", file=sys.stderr)
