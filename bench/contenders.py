"""The three contenders, each in front of its own fresh sandbox (same seed, limits on, same latency)."""

from __future__ import annotations

import json
import sys
import time

from .loadgen import Run, Target, run_sessions
from .metrics import summarize, timeline
from .nginx import NginxProcess
from .procs import Child, SandboxProcess
from .settings import ACCEPT, PARTNER_TOKEN, Settings
from .visitor import Intent

DESCRIPTIONS = {
    "direct": "sessions call the sandbox with the partner token, all from one IP (a partner's backend), "
    "so Altegio's per-IP limit applies to all of them together",
    "gateway": "local API Gateway -> handlers -> DynamoDB (moto) cache and budget -> sandbox",
    "nginx": "nginx proxy_cache (lock, use_stale, background update) in front of the sandbox, "
    "same freshness per operation as the gateway, no budget, no invalidation",
}
JSON_HEADERS = {"Accept": ACCEPT, "Content-Type": "application/json"}


class StackProcess:
    """The local stack (bench/stackproc.py) in a child process, upstream = a sandbox we started."""

    def __init__(self, upstream_api: str):
        self.child = Child("gateway", [sys.executable, "-m", "bench.stackproc", "--upstream", upstream_api])
        info = json.loads(self.child.wait_for(r"^STACK (\{.*\})$", 120).group(1))
        self.api_base: str = info["api_base"]
        self.api_key: str = info["api_key"]
        self.page_url: str = info["page_url"]

    def stop(self) -> None:
        self.child.stop()


def start(name: str, sandbox: SandboxProcess, log=print):
    """(server or None, Target) for a contender in front of `sandbox`."""
    if name == "direct":
        headers = {**JSON_HEADERS, "Authorization": f"Bearer {PARTNER_TOKEN}"}
        return None, Target(name, sandbox.api_base, headers)
    if name == "gateway":
        stack = StackProcess(sandbox.api_base)
        return stack, Target(name, stack.api_base, {**JSON_HEADERS, "x-api-key": stack.api_key}, "X-Cache")
    if name == "nginx":
        proxy = NginxProcess(sandbox.url, log=log)
        return proxy, Target(name, proxy.api_base, dict(JSON_HEADERS), "X-Cache-Status")
    raise ValueError(f"unknown contender {name!r}")


def run_contender(name: str, intents: list[Intent], s: Settings, log=print) -> dict:
    sandbox = SandboxProcess(s)
    server = None
    try:
        t = time.perf_counter()
        server, target = start(name, sandbox, log)
        started_in = time.perf_counter() - t
        run: Run = run_sessions(target, intents, s)
        if server is not None and hasattr(server, "child") and not server.child.alive():
            log(f"  warning: the {name} server exited during the run")
        ledger = sandbox.ledger()
    finally:
        if server is not None:
            server.stop()
        sandbox.stop()
    figures = summarize(run, ledger, s.duration_s, s.sandbox_seed)
    figures["description"] = DESCRIPTIONS[name]
    figures["started_in_s"] = round(started_in, 2)
    figures["timeline"] = timeline(run, ledger)
    return figures
