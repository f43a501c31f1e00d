"""The shared logger (masked JSON), metrics (EMF) and a tracer that costs nothing unless X-Ray is on."""

from __future__ import annotations

import os
import time
import warnings
from contextlib import contextmanager

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .masking import MaskingFormatter, install_filter

logger = Logger(logger_formatter=MaskingFormatter())
# Explicit fallbacks: the module may be imported before the environment is set (tests, tools).
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "BookingGateway"))
install_filter()
# An invocation that served from cache has no metrics of its own: that is normal, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def count(name: str, value: float = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


@contextmanager
def timed(name: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        metrics.add_metric(
            name=name, unit=MetricUnit.Milliseconds, value=(time.perf_counter() - start) * 1000
        )


def tracing_active() -> bool:
    """True only in Lambda with active tracing. Powertools' Tracer imports the X-Ray SDK (~150 ms) even
    when disabled, so the local stack, tests and untraced deployments never load it."""
    env = os.environ
    return (
        bool(env.get("LAMBDA_TASK_ROOT") and env.get("AWS_XRAY_DAEMON_ADDRESS"))
        and not env.get("AWS_SAM_LOCAL")
        and env.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in ("1", "true")
    )


_tracer = None


def tracer():
    """The Powertools Tracer (auto-patches botocore and urllib3), or None when tracing is off."""
    global _tracer
    if _tracer is None and tracing_active():
        from aws_lambda_powertools import Tracer

        _tracer = Tracer()
    return _tracer
