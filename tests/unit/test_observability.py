"""observability.py: the tracer costs nothing unless X-Ray is on, and then patches only botocore."""

from __future__ import annotations

import pytest
from booking_gateway import observability

LAMBDA = {"AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}  # Lambda sets it when tracing is active
TRACING_ON = {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}
TRACING_OFF = {"POWERTOOLS_TRACE_DISABLED": "true"}


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


def test_with_tracing_off_a_cold_start_loads_nothing_of_xray(cold_start_modules):
    modules = cold_start_modules("import app; app.lambda_handler", TRACING_OFF)
    assert "booking_gateway.observability" in modules and xray(modules) == set()


def test_with_tracing_on_only_botocore_is_patched(cold_start_modules):
    modules = cold_start_modules("import app", TRACING_ON)
    assert "aws_xray_sdk.ext.botocore.patch" in modules  # the check sees a patch
    patched = {m.split(".")[2] for m in modules if m.startswith("aws_xray_sdk.ext.") and m.count(".") >= 3}
    assert patched == {"botocore"}
    assert "sqlite3" not in modules  # the SDK's default patch list imports it to patch it
