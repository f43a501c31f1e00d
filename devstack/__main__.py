"""`python -m devstack` (make dev): start the local stack, print where it is, supervise it, stop on Ctrl-C.

moto and the sandbox run as child processes (restarted if they die, never outliving this one); the
gateway and the page run here, because the handlers run in-process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import procs
from .cfn import TemplateError
from .stack import DEFAULT_API_KEY, DEV_WEBHOOK_SECRET, WEBHOOK_ROUTE, LocalStack
from .template import ROOT

log = logging.getLogger("devstack")
MAX_RESTARTS = 5  # per child, then the stack gives up rather than flap


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--page-port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--api-port", type=int, default=3000)
    p.add_argument("--sandbox-port", type=int, default=8081)
    p.add_argument("--moto-port", type=int, default=5055)
    p.add_argument(
        "--upstream", help="real Altegio API base instead of the sandbox; token from ALTEGIO_PARTNER_TOKEN"
    )
    p.add_argument("--api-key", default=DEFAULT_API_KEY, help="the local API key (PageApiKeyValue)")
    p.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="template parameter override"
    )
    p.add_argument("--no-rate-limit", action="store_true", help="sandbox without its 5/s, 200/min limits")
    p.add_argument("--latency-ms", type=float, default=0.0, help="sandbox latency per request")
    p.add_argument("--now", type=_instant, help="sandbox clock pinned at this ISO instant with offset")
    p.add_argument(
        "--webhook-secret",
        default=DEV_WEBHOOK_SECRET,
        help=f"the sandbox posts its webhooks to <api base>{WEBHOOK_ROUTE}<this secret>",
    )
    p.add_argument("--webhook-url", help="send the sandbox's webhooks here instead of the local gateway")
    p.add_argument("--no-webhooks", action="store_true", help="the sandbox sends no webhooks")
    p.add_argument(
        "--no-schedules", action="store_true", help="do not run the template's schedules (the warmer)"
    )
    p.add_argument("--max-instances", type=int, default=4, help="warm instances per function at most")
    p.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    p.add_argument("--state-dir", type=Path, default=ROOT / ".devstack", help="state file and moto's log")
    p.add_argument("--quiet", action="store_true", help="no access log lines")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # log lines show up at once, even through a pipe or tee
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S"
    )
    logging.getLogger("devstack.access").setLevel(logging.WARNING if a.quiet else logging.INFO)
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "Found credentials ..." on every cold start
    token = os.environ.pop("ALTEGIO_PARTNER_TOKEN", None)  # into the local secret only, never to handlers
    if a.upstream and not token:
        print("--upstream needs ALTEGIO_PARTNER_TOKEN in the environment", file=sys.stderr)
        return 2
    if a.upstream and a.now:
        print("--now pins the sandbox's clock; a real upstream keeps its own", file=sys.stderr)
        return 2
    state_file = a.state_dir / "state.json"
    if _other_stack_running(state_file):
        print(f"make dev is already running (see {state_file}); stop it first", file=sys.stderr)
        return 1
    wanted = {"page": a.page_port, "api": a.api_port, "moto": a.moto_port}
    if not a.upstream:
        wanted["sandbox"] = a.sandbox_port
    busy = [
        f"{name} {port}" for name, port in wanted.items() if port and not procs.port_is_free(a.host, port)
    ]
    if busy:
        print(f"ports in use: {', '.join(busy)} (choose others, or 0 for any free one)", file=sys.stderr)
        return 1
    try:
        params = dict(p.split("=", 1) for p in a.param)
    except ValueError:
        print("--param takes NAME=VALUE", file=sys.stderr)
        return 2
    sandbox_args = [*(["--no-rate-limit"] if a.no_rate_limit else []), "--latency-ms", str(a.latency_ms)]
    sandbox_args += ["--now", a.now] if a.now else []
    a.state_dir.mkdir(parents=True, exist_ok=True)
    stack = LocalStack(
        template_path=a.template,
        host=a.host,
        page_port=a.page_port,
        api_port=a.api_port,
        moto_port=a.moto_port,
        sandbox_port=a.sandbox_port,
        upstream=a.upstream,
        partner_token=token,
        sandbox_mode="process",
        sandbox_args=tuple(sandbox_args),
        moto_mode="process",
        api_key=a.api_key,
        parameters=params,
        max_instances=a.max_instances,
        log_dir=a.state_dir,
        webhooks=not a.no_webhooks,
        webhook_secret=a.webhook_secret,
        webhook_url=a.webhook_url,
        schedules=not a.no_schedules,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stack.start()
    except (TemplateError, RuntimeError, TimeoutError, OSError) as exc:
        print(f"devstack could not start: {exc}", file=sys.stderr)
        return 1
    try:
        _write_state(state_file, stack)
        _banner(stack)
        return _supervise(stack, stop)
    finally:
        stack.stop()
        state_file.unlink(missing_ok=True)
        print("devstack stopped", flush=True)


def _instant(value: str) -> str:
    from sandbox.clock import parse_instant

    try:
        return parse_instant(value).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _supervise(stack: LocalStack, stop: threading.Event) -> int:
    restarts: dict[str, int] = {}
    while not stop.wait(0.5):
        try:
            for event in stack.supervise():
                name = event.split()[0]
                restarts[name] = restarts.get(name, 0) + 1
                log.warning("%s", event)
                if restarts[name] > MAX_RESTARTS:
                    log.error("%s keeps dying; stopping the stack", name)
                    return 1
        except Exception as exc:  # a restart that fails ends the stack, loudly
            log.error("supervision failed: %s", exc)
            return 1
    return 0


def _banner(stack: LocalStack) -> None:
    if stack.upstream:
        upstream = (
            f"  upstream  {stack.upstream}  (real Altegio; the partner token is only in the local secret)"
        )
    else:
        upstream = f"  sandbox   {stack.sandbox_url}  (sandbox Altegio; admin under /__admin/)"
    lines = [
        f"devstack ready in {stack.started_in:.1f} s",
        f"  page      {stack.page_url}",
        f"  API base  {stack.api_base}  (send x-api-key)",
        upstream,
        f"  moto      {stack.moto_url}",
        *_webhooks_line(stack),
        f"  API key   {stack.api_key}",
        "Ctrl-C stops everything.",
    ]
    print("\n".join(lines), flush=True)


def _webhooks_line(stack: LocalStack) -> list[str]:
    if not stack.webhook_url:
        return []
    # Every record change at the sandbox reaches the gateway's webhook function (its log: each delivery).
    return [
        f"  webhooks  sandbox -> {stack.state()['webhooks']}  (log: {stack.sandbox_url}/__admin/webhooks/log)"
    ]


def _write_state(path: Path, stack: LocalStack) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**stack.state(), "started_at": time.time()}, indent=2))
    tmp.replace(path)


def _other_stack_running(path: Path) -> bool:
    try:
        pid = json.loads(path.read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return False
    return pid != os.getpid() and procs.alive(pid)


if __name__ == "__main__":
    sys.exit(main())
