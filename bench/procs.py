"""Child processes for the servers under test: start, wait for a ready line, stop (by our own pid only)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from pathlib import Path

from .settings import ROOT, Settings


class Child:
    """A process in its own session, so stop() can end it and any helper it started, and nothing else."""

    def __init__(self, name: str, argv: list[str], env: dict | None = None, cwd: Path = ROOT):
        self.name = name
        self.lines: deque[str] = deque(maxlen=400)
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        threading.Thread(target=self._pump, name=f"{name}-out", daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        """The first output line matching `pattern`; raises with the tail of the output otherwise."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                lines = list(self.lines)
                for line in lines[seen:] if seen <= len(lines) else lines:
                    if m := rx.search(line):
                        return m
                seen = len(lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    break
                self._cond.wait(min(left, 0.2))
        tail = "\n".join(list(self.lines)[-30:])
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready (looked for {pattern!r}); output:\n{tail}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(grace)
        else:  # helpers the leader left behind, if any
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)


class SandboxProcess:
    """`python -m sandbox` with Altegio's limits on and the configured upstream latency."""

    def __init__(self, s: Settings, rate_limit: bool = True):
        lo = max(0.0, s.latency_ms - s.jitter_ms)
        argv = [
            sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", "0", "--quiet",
            "--seed", str(s.sandbox_seed), "--per-second", "5", "--per-minute", "200",
            "--latency-ms", f"{lo:g}", "--jitter-ms", f"{2 * s.jitter_ms:g}",
        ]  # fmt: skip
        if not rate_limit:
            argv.append("--no-rate-limit")
        self.child = Child("sandbox", argv)
        self.url = self.child.wait_for(r"listening on (http://\S+)", 30).group(1).rstrip("/")
        self.api_base = self.url + "/api/v1"

    def admin(self, path: str, body: dict | None = None, timeout: float = 60) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}/__admin/{path}", data=data, method="POST" if data else "GET"
        )
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    def ledger(self, since: int = 0) -> dict:
        return self.admin(f"ledger?since={since}")

    def stop(self) -> None:
        self.child.stop()


def wait_http(url: str, timeout: float, headers: dict | None = None) -> None:
    """Poll until `url` answers at all (any status)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            req = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(req, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            last = exc
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s: {last}")
