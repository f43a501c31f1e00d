"""`python -m sandbox`: the sandbox as its own process (make dev, the benchmark)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from .clock import parse_instant
from .config import SandboxConfig, webhook_urls
from .server import Sandbox


def parse_args(argv: list[str] | None = None) -> SandboxConfig:
    p = argparse.ArgumentParser(
        prog="python -m sandbox", description="Sandbox Altegio (Online Booking API fake)"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-rate-limit", action="store_true", help="turn off the 5/s and 200/min per-IP limits")
    p.add_argument("--per-second", type=int, default=5)
    p.add_argument("--per-minute", type=int, default=200)
    p.add_argument("--trust-forwarded-for", action="store_true", help="rate-limit by X-Forwarded-For")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--sms-code", default="123456", help="'random' for a new code per request (logged)")
    p.add_argument("--partner-token", default="sandbox-partner-token")
    p.add_argument("--quiet", action="store_true", help="no line per request")
    p.add_argument("--now", type=_instant, help="pin the clock at this ISO instant with offset (moves on)")
    p.add_argument("--frozen", action="store_true", help="the clock stays where it is (at --now)")
    p.add_argument(
        "--webhook-url",
        action="append",
        type=_urls,
        help="send every location's record changes here (repeatable; default: $SANDBOX_WEBHOOK_URLS, "
        "comma- or space-separated)",
    )
    a = p.parse_args(argv)
    urls = [u for group in a.webhook_url or [] for u in group]
    if not a.webhook_url:
        try:
            urls = webhook_urls(os.environ.get("SANDBOX_WEBHOOK_URLS", ""))
        except ValueError as exc:
            p.error(f"SANDBOX_WEBHOOK_URLS: {exc}")
    return SandboxConfig(
        host=a.host,
        port=a.port,
        seed=a.seed,
        rate_limit=not a.no_rate_limit,
        per_second=a.per_second,
        per_minute=a.per_minute,
        trust_forwarded_for=a.trust_forwarded_for,
        latency_ms=a.latency_ms,
        jitter_ms=a.jitter_ms,
        sms_code=None if a.sms_code == "random" else a.sms_code,
        partner_token=a.partner_token,
        log_requests=not a.quiet,
        now=a.now,
        frozen=a.frozen,
        webhook_urls=urls,
    )


def _urls(value: str) -> list[str]:
    try:
        return webhook_urls(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _instant(value: str) -> str:
    try:
        return parse_instant(value).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sandbox = Sandbox(config).start()
    print(f"sandbox listening on {sandbox.url}", flush=True)
    try:
        stop.wait()
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
