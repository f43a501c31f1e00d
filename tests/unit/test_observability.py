"""observability.py: the tracer costs nothing unless X-Ray is on, and then patches only botocore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from booking_gateway import observability

ROOT = Path(__file__).resolve().parents[2]
# A Lambda container's environment (template.yaml's Globals), no AWS reachable.
LAMBDA = {
    "AWS_LAMBDA_FUNCTION_NAME": "unit",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "unit",
    "AWS_SECRET_ACCESS_KEY": "unit",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    "CACHE_TABLE": "unit-cache",
    "BUDGET_TABLE": "unit-budget",
    "PARTNER_SECRET_ID": "unit/partner",
}
TRACING_ON = {"LAMBDA_TASK_ROOT": str(ROOT), "POWERTOOLS_TRACE_DISABLED": "false"}
TRACING_OFF = {"POWERTOOLS_TRACE_DISABLED": "true"}


def loaded_after(code: str, env: dict[str, str], function: str = "book_times") -> set[str]:
    """The modules a fresh interpreter holds after `code`, run in that function's folder."""
    folder = ROOT / "functions" / function
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "LAMBDA_"))}
    env = {**keep, **LAMBDA, **env, "PYTHONPATH": f"{folder}{os.pathsep}{ROOT / 'layers' / 'common'}"}
    code += "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def xray(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in ("aws_xray_sdk", "wrapt")}


@pytest.mark.parametrize(
    ("env", "active"),
    [
        ({**LAMBDA, **TRACING_ON}, True),
        ({**LAMBDA, **TRACING_OFF}, False),
        ({**LAMBDA, **TRACING_ON, "AWS_SAM_LOCAL": "true"}, False),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "false"}, False),  # not in Lambda: no task root
    ],
)
def test_tracing_is_active_only_in_lambda_with_tracing_on(monkeypatch, env, active):
    for name in ("LAMBDA_TASK_ROOT", "AWS_SAM_LOCAL", "POWERTOOLS_TRACE_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert observability.tracing_active() is active


def test_with_tracing_off_a_cold_start_loads_nothing_of_xray():
    modules = loaded_after("import app; app.lambda_handler", TRACING_OFF)
    assert "booking_gateway.observability" in modules and xray(modules) == set()


def test_with_tracing_on_only_botocore_is_patched():
    modules = loaded_after("import app", TRACING_ON)
    assert "aws_xray_sdk.ext.botocore.patch" in modules  # the check sees a patch
    patched = {m.split(".")[2] for m in modules if m.startswith("aws_xray_sdk.ext.") and m.count(".") >= 3}
    assert patched == {"botocore"}
    assert "sqlite3" not in modules  # the SDK's default patch list imports it to patch it
