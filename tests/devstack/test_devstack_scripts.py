"""scripts/measure_gateway.py still runs against the layer as it is (it broke once on a cache signature)."""

from __future__ import annotations

import re
import subprocess
import sys

from devstack.template import ROOT

FIGURES = (
    "dynamodb_batch_get_p50_ms",
    "hit_via_dynamodb_p50_ms",
    "hit_via_dynamodb_p95_ms",
    "hit_via_memory_p50_ms",
    "hit_via_memory_p95_ms",
)


def test_measure_gateway_runs_briefly_and_reports_every_figure():
    done = subprocess.run(
        [sys.executable, "scripts/measure_gateway.py", "--hits", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = dict(re.findall(r"^(\w+)\s+([\d.]+)$", done.stderr, re.M))
    assert set(FIGURES) <= set(got), done.stderr[-3000:]
    assert all(float(got[name]) > 0 for name in FIGURES)
