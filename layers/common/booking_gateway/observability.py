"""The shared logger (masked JSON), metrics (EMF) and a tracer that costs nothing unless X-Ray is on, and
masks every segment it sends (masking.redact_trace)."""

from __future__ import annotations

import json
import os
import time
import warnings
from contextlib import contextmanager

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .masking import MaskingFormatter, install_filter, redact_trace

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
PATCHED = ("botocore",)


def tracer():
    """The Powertools Tracer (auto-patches botocore and http.client, under urllib3), or None when tracing is
    off. Its segments leave through masking_emitter(): the recorded upstream URL carries record hashes and
    review tokens in its path."""
    global _tracer
    if _tracer is None and tracing_active():
        from aws_lambda_powertools import Tracer

        # botocore alone: the X-Ray SDK's default patches import what the layer never calls (sqlite3,
        # requests) and its http.client patch never sees urllib3 2's requests (_trace_urllib3 does).
        _tracer = Tracer(patch_modules=PATCHED)
        _tracer.provider.configure(emitter=masking_emitter())
        _trace_urllib3(_tracer.provider)
    return _tracer


def _trace_urllib3(recorder) -> None:
    """Each urllib3 request (the calls to Altegio) as a remote subsegment with method, URL and status.
    The X-Ray SDK's http.client patch never sees urllib3 2, whose requests bypass the method it wraps, so
    without this the upstream calls would be missing from traces; their URLs are masked by the emitter."""
    import wrapt

    def urlopen(wrapped, instance, args, kwargs):
        if type(instance).__module__.startswith("botocore"):  # AWS calls: traced by the botocore patch
            return wrapped(*args, **kwargs)
        method = kwargs.get("method", args[0] if args else "GET")
        path = str(kwargs.get("url", args[1] if len(args) > 1 else "/")).split("?", 1)[0]
        default = {"http": 80, "https": 443}.get(instance.scheme)
        port = f":{instance.port}" if instance.port and instance.port != default else ""
        url = f"{instance.scheme}://{instance.host}{port}{path}"

        def meta(wrapped, instance, args, kwargs, return_value, exception, subsegment, stack):
            subsegment.put_http_meta("method", method)
            subsegment.put_http_meta("url", url)
            if return_value is not None:
                subsegment.put_http_meta("status", return_value.status)
            if exception is not None:
                subsegment.add_exception(exception, stack)

        return recorder.record_subsegment(
            wrapped, instance, args, kwargs, name=instance.host, namespace="remote", meta_processor=meta
        )

    wrapt.wrap_function_wrapper("urllib3.connectionpool", "HTTPConnectionPool.urlopen", urlopen)


def masking_emitter():
    """The X-Ray SDK's UDP emitter (to the daemon Lambda runs), sending each segment masked."""
    from aws_xray_sdk.core.emitters.udp_emitter import PROTOCOL_DELIMITER, PROTOCOL_HEADER, UDPEmitter

    class MaskingEmitter(UDPEmitter):
        def send_entity(self, entity) -> None:
            try:
                body = json.dumps(redact_trace(entity.to_dict()), default=str)
                self._send_data(f"{PROTOCOL_HEADER}{PROTOCOL_DELIMITER}{body}")
            except Exception as exc:  # noqa: BLE001 - a lost segment must never fail a request
                logger.warning("trace segment not sent", extra={"error": type(exc).__name__})

    return MaskingEmitter(os.environ.get("AWS_XRAY_DAEMON_ADDRESS") or "127.0.0.1:2000")
