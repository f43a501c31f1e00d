"""`LocalStack`: moto, the sandbox Altegio (or the real one), the local API Gateway and the page, together.

    with LocalStack(sandbox_config=SandboxConfig(rate_limit=False)) as stack:
        stack.page_url, stack.api_base, stack.api_key, stack.sandbox_url, stack.moto_url, stack.dynamodb

With `webhooks=True` (make dev's default) the sandbox's company webhooks go to the local gateway's
webhook route, `<api base>/webhooks/altegio/<webhook secret>` (or `webhook_url`), registered once the
gateway listens and again whenever the sandbox is restarted. The webhook function (WebhookAltegioFunction)
finds the same secret in moto's Secrets Manager.

Handlers run in this process, so starting the stack sets the template's environment (and moto's
endpoint, fake credentials, region) in os.environ and resets the layer's container state; stop()
puts the previous values back. Stacks may nest (a test building its own, e.g. with the sandbox's rate
limit on): the newest owns os.environ until it stops, so use one at a time.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

from . import aws, iam, procs
from .apigw import Gateway
from .httpd import Server
from .runtime import Functions, layer_packages, reset_layers
from .schedule import Scheduler
from .site import Site
from .template import ROOT, Template

log = logging.getLogger("devstack")
DEFAULT_API_KEY = "local-dev-api-key-000000"
SANDBOX_TOKEN = "sandbox-partner-token"
API_PREFIX = "/api/v1"
# The local value of the secret `altegio-webhook-secret` (WebhookSecret, written by aws.provision): the last
# segment of the webhook URL.
DEV_WEBHOOK_SECRET = "local-dev-webhook-secret-0000"
WEBHOOK_ROUTE = "/webhooks/altegio/"


class LocalStack:
    _running: ClassVar[list[LocalStack]] = []  # the newest owns os.environ until it stops
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        template_path: Path | str | None = None,
        host: str = "127.0.0.1",
        page_port: int = 0,
        api_port: int = 0,
        moto_port: int = 0,
        sandbox_port: int = 0,
        upstream: str | None = None,
        partner_token: str | None = None,
        sandbox_config: Any = None,
        sandbox_mode: str = "thread",
        sandbox_args: tuple[str, ...] = (),
        moto_mode: str = "process",
        api_key: str = DEFAULT_API_KEY,
        parameters: dict[str, Any] | None = None,
        max_instances: int = 4,
        web_dir: Path | str | None = None,
        log_dir: Path | None = None,
        serve: bool = True,
        check_access: bool = True,
        webhooks: bool = False,
        webhook_secret: str = DEV_WEBHOOK_SECRET,
        webhook_url: str | None = None,
        schedules: bool = False,
    ):
        if upstream and not partner_token:
            raise ValueError("a real upstream needs its partner token")
        self.template_path = Path(template_path) if template_path else ROOT / "template.yaml"
        self.host = host
        self.ports = {"page": page_port, "api": api_port, "sandbox": sandbox_port}
        self.upstream = upstream.rstrip("/") if upstream else None
        self._partner_token = partner_token or SANDBOX_TOKEN
        self._sandbox_config = sandbox_config
        self.sandbox_mode = sandbox_mode
        self._sandbox_args = tuple(sandbox_args)
        self.api_key = api_key
        self._parameters = dict(parameters or {})
        self.max_instances = max_instances
        self.web_dir = Path(web_dir) if web_dir else ROOT / "web"
        self.serve = serve
        # Each function's AWS calls checked against its policies in the template (iam.py); refusals kept here.
        self.access = iam.AccessCheck() if check_access else None
        self.webhooks = webhooks
        # The template's schedules (the warmer) run as EventBridge runs them: make dev and the bench; tests
        # that count upstream calls keep them off and run them when they mean to (scheduler.run_now).
        self.schedules = schedules
        self.scheduler: Scheduler | None = None
        self.webhook_secret = webhook_secret
        self._webhook_url = webhook_url
        self.moto = aws.MotoServer(host, moto_port, moto_mode, log_dir / "moto.log" if log_dir else None)
        self.sandbox = None  # the Sandbox object (thread mode): admin, ledger and config without HTTP
        self.sandbox_proc: subprocess.Popen | None = None
        self.sandbox_url: str | None = None
        self.template: Template | None = None
        self.functions: Functions | None = None
        self.gateway: Gateway | None = None
        self._servers: dict[str, Server] = {}
        self._saved_env: dict[str, str | None] = {}
        self._dynamodb = None
        self.started_in: float | None = None

    # ---------- lifecycle ----------
    def start(self) -> LocalStack:
        with LocalStack._lock:
            LocalStack._running.append(self)
        t0 = time.perf_counter()
        try:
            self.moto.start()  # a child process: it boots while the rest starts
            upstream = self.upstream or self._start_sandbox()
            local = {"AltegioBaseUrl": upstream, "PageApiKeyValue": self.api_key}
            self.template = Template(self.template_path, self._parameters, local)
            env = {**self.template.environment(), **aws.aws_env("", self.template.region)}
            self.moto.wait_ready()
            env["AWS_ENDPOINT_URL"] = self.moto.url
            aws.provision(self.template, self.moto.url, self._partner_token, self.webhook_secret)
            self._apply_env(env)
            reset_layers(self._layer_packages())
            self.functions = Functions(self.template, self.max_instances, self.access)
            self.gateway = Gateway(self.template, self.functions, self.api_key)
            self.scheduler = Scheduler(self.template, self.functions)
            if self.schedules:
                self.scheduler.start()
            if self.serve:
                self._servers["api"] = Server(self.gateway, self.host, self.ports["api"], "api")
                site = Site(self.web_dir, self.template.edge, self.gateway)
                self._servers["page"] = Server(site, self.host, self.ports["page"], "page")
            self._wire_webhooks()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.perf_counter() - t0
        return self

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
        if self.sandbox is not None:
            self.sandbox.stop()
        procs.stop(self.sandbox_proc)
        self.moto.stop()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        if self.template is not None:
            reset_layers(self._layer_packages())
        with LocalStack._lock:
            if self in LocalStack._running:
                LocalStack._running.remove(self)

    @classmethod
    def running(cls) -> LocalStack | None:
        """The stack whose environment os.environ holds now, if any."""
        return cls._running[-1] if cls._running else None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _layer_packages(self) -> set[str]:
        return layer_packages({d for fn in self.template.functions.values() for d in fn.layers})

    def _apply_env(self, env: dict[str, str]) -> None:
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    # ---------- the sandbox ----------
    def _start_sandbox(self) -> str:
        if self.sandbox_mode == "thread":
            from sandbox import Sandbox, SandboxConfig

            config = self._sandbox_config or SandboxConfig()
            config.host, config.port = self.host, self.ports["sandbox"] or config.port
            self.sandbox = Sandbox(config).start()
            self.sandbox_url = self.sandbox.url
            self._partner_token = config.partner_token  # the secret holds what this sandbox accepts
        else:
            self._spawn_sandbox()
        return self.sandbox_url + API_PREFIX

    def _spawn_sandbox(self) -> None:
        port = self.ports["sandbox"]
        cmd = [sys.executable, "-m", "sandbox", "--host", self.host, "--port", str(port), *self._sandbox_args]
        self.sandbox_proc = procs.spawn(cmd, stdout=subprocess.PIPE, cwd=ROOT)
        line = _read_line(self.sandbox_proc, timeout=15)  # "sandbox listening on http://..."
        url = line.strip().rsplit(" ", 1)[-1]
        if not url.startswith("http"):
            procs.stop(self.sandbox_proc)
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.sandbox_url = url
        self.ports["sandbox"] = int(url.rsplit(":", 1)[1])
        threading.Thread(target=_drain, args=(self.sandbox_proc,), daemon=True).start()

    # ---------- supervision (make dev) ----------
    def children(self) -> dict[str, subprocess.Popen]:
        kids = {"moto": self.moto.proc, "sandbox": self.sandbox_proc}
        return {k: p for k, p in kids.items() if p is not None}

    def supervise(self) -> list[str]:
        """Restart a child that died (same port, moto re-provisioned); say what happened."""
        events = []
        if self.moto.proc is not None and self.moto.proc.poll() is not None:
            events.append(f"moto exited ({self.moto.proc.returncode}); restarting it, tables start empty")
            self.moto.spawn()
            self.moto.wait_ready()
            aws.provision(self.template, self.moto.url, self._partner_token, self.webhook_secret)
        if self.sandbox_proc is not None and self.sandbox_proc.poll() is not None:
            events.append(f"sandbox exited ({self.sandbox_proc.returncode}); restarting it")
            self._spawn_sandbox()
            self._wire_webhooks()
        return events

    # ---------- the sandbox's webhooks ----------
    @property
    def webhook_url(self) -> str | None:
        """Where the sandbox sends record changes: the local gateway's webhook route unless told otherwise."""
        if not self.webhooks or self.upstream or not (self._webhook_url or self.serve):
            return None
        return self._webhook_url or f"{self.api_base}{WEBHOOK_ROUTE}{self.webhook_secret}"

    def _wire_webhooks(self) -> None:
        """Register the URL with the sandbox (its admin endpoint, as for a sandbox in its own process)."""
        url = self.webhook_url
        if url is None:
            return
        request = urllib.request.Request(
            f"{self.sandbox_url}/__admin/webhooks",
            data=json.dumps({"urls": [url]}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    # ---------- what tests and tools use ----------
    @property
    def gateway_url(self) -> str:
        return self._servers["api"].url

    @property
    def api_base(self) -> str:
        return self.gateway_url + API_PREFIX

    @property
    def page_url(self) -> str:
        return self._servers["page"].url + "/"

    @property
    def moto_url(self) -> str:
        return self.moto.url

    @property
    def upstream_base(self) -> str:
        return self.template.parameters.get("AltegioBaseUrl", "") if self.template else ""

    @property
    def access_denied(self) -> list[str]:
        """ "<function>: <action> on <resource>" for every call the template's policies refused."""
        return self.access.denied if self.access is not None else []

    @property
    def dynamodb(self):
        if self._dynamodb is None:
            import boto3

            self._dynamodb = boto3.resource(
                "dynamodb",
                endpoint_url=self.moto_url,
                region_name=self.template.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self._dynamodb

    def add_partner_key(self, value: str) -> str:
        """A partner's API key, accepted from now on (its own caller class); returns its key id."""
        return self.gateway.add_api_key(value)

    def invoke(self, logical_id: str, event: dict) -> Any:
        """The handler's raw result, as `sam local invoke` prints it (no HTTP, same warm instances)."""
        return self.functions.invoke(logical_id, event)

    def reset(self) -> None:
        """Sandbox back to its demo data (knobs kept) and every table emptied: a cold cache and budget. The
        warm containers forget what they kept for those tables (reads counted and not yet sent, the budget's
        memory of a spent minute, the notes of bumps whose generations start again): sent after the reset,
        earlier reads would fill the warmer's plan."""
        if self.sandbox is not None:
            self.sandbox.reset()
        aws.empty_tables(self.template, self.moto_url)
        layer = sys.modules.get("booking_gateway.container")  # loaded once a function has run
        if layer is not None:
            layer.reset("reads.pending", "budget.memo", "cache.notes", "cache.heard")

    def reset_budget(self) -> None:
        """A fresh upstream budget only (the cache kept): for tests whose subject is not the budget."""
        aws.empty_tables(self.template, self.moto_url, only=("BudgetTable",))

    def state(self) -> dict:
        """What `make invoke` needs to use this stack; never the partner token (nor the webhook secret)."""
        from sandbox.masking import mask_url

        return {
            "pid": os.getpid(),
            "template": str(self.template.path),
            "parameters": self.template.overrides,
            "moto_url": self.moto_url,
            "sandbox_url": self.sandbox_url,
            "upstream": self.upstream,
            "page_url": self.page_url if self.serve else None,
            "api_base": self.api_base if self.serve else None,
            "api_key": self.api_key,
            "webhooks": mask_url(self.webhook_url) if self.webhook_url else None,
            "children": {k: p.pid for k, p in self.children().items()},
        }


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc.stdout.read().decode(errors="replace") or f"exited with {proc.returncode}"
        ready, _, _ = select.select([proc.stdout], [], [], 0.05)
        if ready:
            return proc.stdout.readline().decode(errors="replace")
    return "no answer within the timeout"


def _drain(proc: subprocess.Popen) -> None:
    """Pass the child's further stdout through (an unread pipe would block it once full)."""
    for line in proc.stdout:
        sys.stdout.write(line.decode(errors="replace"))
