"""bench/coldstart.py: the figures, the floors and what a first request loads lazily."""

from __future__ import annotations

import os
import subprocess
import sys

from bench import coldstart, report
from bench.settings import ROOT


def test_a_first_booking_loads_what_init_deferred():
    folder = ROOT / "functions" / "book_record"
    code = coldstart.PROBE.format(
        module="app",
        first=coldstart.FIRST_REQUEST
        + "\nprint('LOADED', *(m for m in ('boto3', 'booking_gateway.idempotency') if m in sys.modules))",
    )
    env = {**os.environ, **coldstart.ENV, **coldstart.TRACING["off"]}
    env["PYTHONPATH"] = os.pathsep.join(map(str, (folder, ROOT / "layers" / "common")))
    env.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "LOADED boto3 booking_gateway.idempotency" in done.stdout  # counted in first_ms


def test_every_function_is_measured_with_its_first_request_next_to_the_naive_handler_and_the_floors():
    cold = coldstart.measure(runs=1, limit=2, log=lambda _: None)
    fig = next(iter(cold["functions"].values()))
    for mode in (fig, fig["tracing_on"]):
        assert mode["first_ms"] >= mode["import_ms"] > 0 and mode["import_cpu_ms"] > 0
    assert fig["ratios"]["off"]["import"] == fig["ratio_off"]
    assert set(cold["baseline"]["floors"]) == set(coldstart.FLOORS)
    assert all(f["import_cpu_ms"] > 0 for f in cold["baseline"]["floors"].values())
    text = "\n".join(report.coldstart_lines(cold))
    assert "floor, botocore + one DynamoDB client" in text and "with the first request's loads" in text
