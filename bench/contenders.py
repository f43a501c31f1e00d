"""The contenders (settings.CONTENDER_SPECS), each in front of its own fresh sandbox (same seed, limits on,
same latency), with the same visitors and the same front desk changing records beside them."""

from __future__ import annotations

import json
import re
import resource
import sys
import time
from collections import Counter

from .frontdesk import Action, FrontDesk
from .loadgen import Run, Target, run_sessions
from .metrics import summarize, timeline
from .nginx import NginxProcess
from .procs import Child, SandboxProcess, machine_cpu, tree_cpu
from .settings import ACCEPT, CONTENDER_SPECS, PARTNER_TOKEN, Settings
from .visitor import Intent

JSON_HEADERS = {"Accept": ACCEPT, "Content-Type": "application/json"}


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _warning(doc: dict) -> str:
    """A log line's message; for an exception also its type and innermost frame, so a run's JSON says
    what failed where (the stack's logs are not kept)."""
    message = str(doc.get("message", ""))[:80]
    if not doc.get("exception_name"):
        return message
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', str(doc.get("exception", "")))
    where = f" at {frames[-1][0].rsplit('/', 1)[-1]}:{frames[-1][1]} {frames[-1][2]}" if frames else ""
    return f"{message} [{doc['exception_name']}{where}]"


class StackProcess:
    """The local stack (bench/stackproc.py) in a child process, upstream = a sandbox we started."""

    def __init__(self, upstream_api: str, max_instances: int = 4, schedules: bool = False):
        argv = [sys.executable, "-m", "bench.stackproc", "--upstream", upstream_api]
        argv += ["--schedules"] if schedules else []  # the warmer, as a deployment runs it
        self.metrics: Counter = Counter()  # the handlers' own CloudWatch metrics (EMF lines on stdout)
        self.warnings: Counter = Counter()
        self.child = Child("gateway", [*argv, "--max-instances", str(max_instances)], on_line=self._line)
        info = json.loads(self.child.wait_for(r"^STACK (\{.*\})$", 120).group(1))
        self.api_base: str = info["api_base"]
        self.api_key: str = info["api_key"]
        self.page_url: str = info["page_url"]
        self.webhook_url: str = info["webhook_url"]  # the gateway's webhook route

    def _line(self, line: str) -> None:
        if '"_aws"' in line:
            doc = json.loads(line)
            for block in doc["_aws"].get("CloudWatchMetrics", []):
                for metric in block.get("Metrics", []):
                    value = doc.get(metric["Name"], 0)
                    self.metrics[metric["Name"]] += sum(value) if isinstance(value, list) else value
        elif '"level":"WARNING"' in line.replace(" ", "") or '"level":"ERROR"' in line.replace(" ", ""):
            self.warnings[_warning(json.loads(line))] += 1

    def stop(self) -> None:
        self.child.stop()


def start(name: str, sandbox: SandboxProcess, s: Settings, log=print):
    """(server or None, Target) for a contender in front of `sandbox`."""
    spec = CONTENDER_SPECS[name]
    if spec.kind == "direct":
        headers = {**JSON_HEADERS, "Authorization": f"Bearer {PARTNER_TOKEN}"}
        return None, Target(name, sandbox.api_base, headers)
    if spec.kind == "stack":
        stack = StackProcess(sandbox.api_base, s.lambda_instances, schedules=s.prewarm_s is not None)
        if spec.webhooks:  # Altegio tells the gateway of every record change
            sandbox.admin("webhooks", {"urls": [stack.webhook_url], "workers": s.webhook_workers})
        return stack, Target(name, stack.api_base, {**JSON_HEADERS, "x-api-key": stack.api_key}, "X-Cache")
    if spec.kind == "nginx":
        proxy = NginxProcess(sandbox.url, log=log)
        return proxy, Target(name, proxy.api_base, dict(JSON_HEADERS), "X-Cache-Status")
    raise ValueError(f"unknown contender kind {spec.kind!r} of {name!r}")


def run_contender(
    name: str, intents: list[Intent], s: Settings, log=print, desk_actions: list[Action] = ()
) -> dict:
    sandbox = SandboxProcess(s)
    server = None
    desk = FrontDesk(sandbox.url, list(desk_actions), s.sandbox_seed)
    try:
        t = time.perf_counter()
        server, target = start(name, sandbox, s, log)
        started_in = time.perf_counter() - t
        if isinstance(server, StackProcess) and s.prewarm_s:
            log(f"  the warmer runs {s.prewarm_s:g} s before the first visitor (--prewarm)")
            time.sleep(s.prewarm_s)  # the stated pre-warm, as after a deployment: the warmer's first runs
        roots = [sandbox.child.proc.pid] + ([server.child.proc.pid] if server is not None else [])
        if isinstance(server, StackProcess):
            server.metrics.clear()
            server.warnings.clear()
        cpu0, self0, all0 = tree_cpu(*roots), _self_cpu(), machine_cpu()
        begin = time.time() + 0.3
        desk.start(begin)  # the front desk's clock starts with the visitors'
        run: Run = run_sessions(target, intents, s, start=begin)
        desk_tally = desk.stop()
        cpu1, self1, all1 = tree_cpu(*roots), _self_cpu(), machine_cpu()
        if server is not None and not server.child.alive():
            log(f"  warning: the {name} server exited during the run")
        ledger = sandbox.ledger()
        if CONTENDER_SPECS[name].webhooks:  # when each change reached the gateway (bench/stale.py)
            ledger["deliveries"] = sandbox.admin("webhooks/log")["deliveries"]
    finally:
        desk.stop()
        if server is not None:
            server.stop()
        sandbox.stop()
    figures = summarize(run, ledger, s.duration_s, s.sandbox_seed)
    figures["description"] = CONTENDER_SPECS[name].description
    figures["front_desk"] = desk_tally.figures(s.front_desk_rate)
    figures["started_in_s"] = round(started_in, 2)
    if CONTENDER_SPECS[name].kind == "stack":
        figures["prewarm_s"] = s.prewarm_s  # None: no warmer; else it ran on schedule from this many s before
    cpu = {k: round(v - cpu0.get(k, 0.0), 1) for k, v in cpu1.items()}
    cpu["load_generator"] = round(self1 - self0, 1)
    ours = sum(v - cpu0.get(k, 0.0) for k, v in cpu1.items()) + (self1 - self0)
    # CPU the rest of the machine used meanwhile (other jobs on a shared box skew every figure)
    cpu["other_processes"] = round(max(0.0, (all1 - all0) - ours), 1)
    figures["wall_s"] = round(run.ended - run.started, 1)
    served_by = sum(v for k, v in cpu.items() if k in ("gateway", "moto", "nginx"))
    n = len(run.samples)
    figures["cpu_seconds"] = cpu  # during the run, by process; the machine has os.cpu_count() cores
    figures["cpu_ms_per_request"] = round(served_by * 1000 / n, 2) if n else None
    figures["timeline"] = timeline(run, ledger)
    if isinstance(server, StackProcess):  # whole run, warm-up included
        figures["gateway_metrics"] = dict(server.metrics.most_common())
        figures["gateway_warnings"] = dict(server.warnings.most_common(10))
    return figures
