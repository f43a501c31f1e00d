"""Child processes for the servers under test: start, wait for a ready line, stop (by our own pid only)."""

from __future__ import annotations

import atexit
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

    def __init__(self, name: str, argv: list[str], env: dict | None = None, cwd: Path = ROOT, on_line=None):
        self.name = name
        self.on_line = on_line  # called with every output line (from the reader thread)
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
        atexit.register(self.stop)  # never outlive the bench, even when it fails

    def _pump(self) -> None:
        for line in self.proc.stdout:
            if self.on_line is not None:
                with contextlib.suppress(Exception):
                    self.on_line(line)
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


_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _label(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    for key, label in (
        ("moto", "moto"),
        ("stackproc", "gateway"),
        ("nginx", "nginx"),
        ("sandbox", "sandbox"),
    ):
        if key in cmd:
            return label
    return "other"


def tree_cpu(*roots: int) -> dict[str, float]:
    """CPU seconds of live processes under `roots` (themselves included), summed by what they are."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))):
            parents[int(entry.name)], used[int(entry.name)] = st
    members = set(r for r in roots if r in used)
    grew = True
    while grew:
        extra = {pid for pid, ppid in parents.items() if ppid in members and pid not in members}
        members |= extra
        grew = bool(extra)
    out: dict[str, float] = {}
    for pid in members:
        label = _label(pid)
        out[label] = out.get(label, 0.0) + used[pid]
    return out


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy since boot (all cores, /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK
