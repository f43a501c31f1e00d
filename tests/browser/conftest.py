"""Browser tests of the booking page: Debian's Chromium driven by Playwright, axe-core from npm.

The page is served by the `local_stack` session fixture (tests/conftest.py). Until that fixture
exists, `stack` falls back to a temporary stack built here: the sandbox Altegio plus a small
same-origin server that serves web/ and forwards /api/v1/* to the sandbox with its partner token.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SANDBOX_TOKEN = "sandbox-partner-token"


def pytest_collection_modifyitems(items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (make browser)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS, "headless": True}


# ---------- temporary stack (used only when tests/conftest.py has no local_stack) ----------
@dataclass
class PageStack:
    page_url: str
    api_base: str
    api_key: str
    sandbox_url: str
    sandbox: object = None


def _handler(sandbox_api: str):
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(WEB), **kw)

        def log_message(self, *a):
            pass

        def handle(self):
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the browser moved on
                super().handle()

        def end_headers(self):
            if not self.path.startswith("/api/"):
                self.send_header("Cache-Control", "no-cache")
            super().end_headers()

        def _proxy(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            auth = f"Bearer {SANDBOX_TOKEN}"
            user = self.headers.get("Authorization", "")
            if user.startswith("User "):
                auth += f", {user}"
            headers = {
                "Authorization": auth,
                "Accept": self.headers.get("Accept", "application/vnd.api.v2+json"),
                "Content-Type": "application/json",
            }
            if self.headers.get("Idempotency-Key"):
                headers["Idempotency-Key"] = self.headers["Idempotency-Key"]
            req = urllib.request.Request(
                sandbox_api + self.path[len("/api/v1") :], data=body, method=method, headers=headers
            )
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, data, ctype = (
                        r.status,
                        r.read(),
                        r.headers.get("Content-Type", "application/json"),
                    )
            except urllib.error.HTTPError as e:
                status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "application/json")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.startswith("/api/v1/"):
                return self._proxy("GET")
            return super().do_GET()

        def do_POST(self):
            self._proxy("POST")

        def do_PUT(self):
            self._proxy("PUT")

        def do_DELETE(self):
            self._proxy("DELETE")

    return Handler


@pytest.fixture(scope="session")
def _fallback_stack():
    from sandbox import Sandbox, SandboxConfig

    sb = Sandbox(SandboxConfig(rate_limit=False, now=os.environ.get("TEST_NOW") or None)).start()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sb.url.rstrip("/") + "/api/v1"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield PageStack(
        page_url=base + "/", api_base=base + "/api/v1", api_key="", sandbox_url=sb.url, sandbox=sb
    )
    httpd.shutdown()
    httpd.server_close()
    stop = getattr(sb, "stop", None)
    if stop:
        stop()


@pytest.fixture(scope="session")
def stack(request):
    """The project's local_stack when tests/conftest.py provides it, else the temporary one."""
    try:
        return request.getfixturevalue("local_stack")
    except pytest.FixtureLookupError:
        return request.getfixturevalue("_fallback_stack")


@pytest.fixture(scope="session", autouse=True)
def _browser_clock(stack):
    """TEST_NOW (date matrix): pages start at the sandbox's current instant (pinned, then moving on), not
    at TEST_NOW itself: by the time a browser test runs the sandbox has moved on, and at 23:59 a few
    minutes decide which day is "today"."""
    import page_flow

    if not os.environ.get("TEST_NOW"):
        yield
        return
    state = getattr(getattr(stack, "sandbox", None), "state", None)
    if state is not None:
        page_flow.NOW = state.now
    else:  # a stack without an in-process sandbox: the pinned instant itself
        from clock_kit import test_now

        page_flow.NOW = test_now
    try:
        yield
    finally:
        page_flow.NOW = None


# ---------- helpers as fixtures ----------
@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make node)")
    return AXE.read_text()


class Api:
    """Direct calls to the API behind the page (to set up races), and to Altegio itself (the sandbox: to
    verify results at the source, with no gateway budget in between that a loaded run may find spent)."""

    def __init__(self, stack):
        self.base = stack.api_base.rstrip("/")
        self.key = getattr(stack, "api_key", "") or ""
        self.sandbox_base = stack.sandbox.api_base.rstrip("/")

    def altegio(self, method, path, body=None):
        return self.call(method, path, body, upstream=True)

    def call(self, method, path, body=None, upstream=False):
        headers = {"Accept": "application/vnd.api.v2+json", "Content-Type": "application/json"}
        if upstream:
            headers["Authorization"] = f"Bearer {SANDBOX_TOKEN}"
        elif self.key:
            headers["x-api-key"] = self.key
        data = json.dumps(body).encode() if body is not None else None
        base = self.sandbox_base if upstream else self.base
        req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode(errors="replace")


@pytest.fixture(scope="session")
def api(stack):
    return Api(stack)


@pytest.fixture(autouse=True)
def _reset_sandbox(request, stack):
    """Start each browser test from the sandbox's demo state, when the sandbox offers a reset, and (local
    stack) empty tables: a fresh upstream budget, and no cached answer of the world before the reset (a day
    whose one time an earlier test took would still be cached empty while its dates say free)."""
    if "browser" not in request.keywords:
        return
    if hasattr(stack, "reset"):
        stack.reset()
        return
    url = getattr(stack, "sandbox_url", "")
    if not url:
        return
    req = urllib.request.Request(
        url.rstrip("/") + "/__admin/reset",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with contextlib.suppress(urllib.error.URLError, OSError):
        urllib.request.urlopen(req, timeout=10).close()


@pytest.fixture(autouse=True)
def _close_pages():
    """Close what the test opened, even after a failure (page_flow.OPEN_CONTEXTS)."""
    yield
    from page_flow import OPEN_CONTEXTS

    while OPEN_CONTEXTS:
        with contextlib.suppress(Exception):  # already closed by the test
            OPEN_CONTEXTS.pop().close()


@pytest.fixture(scope="session")
def shots_dir():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
