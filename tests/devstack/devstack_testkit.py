"""HTTP helpers for devstack's tests: raw paths, repeated headers, bytes back."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from devstack import procs
from devstack.template import ROOT

PROJECT = Path(__file__).parent / "project"
KEY = "test-api-key-0123456789"


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)


def call(
    base: str, method: str, path: str, headers=(), body: bytes | None = None, timeout: float = 30
) -> Reply:
    """`path` goes on the wire exactly as given (percent-encoding, trailing slash, query)."""
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


PORTS = ["--page-port", "0", "--api-port", "0", "--moto-port", "0", "--sandbox-port", "0"]


class Devstack:
    def __init__(self, tmp: Path, *args: str, env: dict | None = None):
        self.state_dir = tmp / "state"
        self.log = tmp / "stdout.log"
        cmd = [sys.executable, "-m", "devstack", *PORTS, "--state-dir", str(self.state_dir), *args]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
            )
        self.state = self._wait_state()

    def _wait_state(self, timeout: float = 20) -> dict:
        """The state file devstack writes once it is up; its exit ends the wait at once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return json.loads((self.state_dir / "state.json").read_text())
            except (OSError, ValueError):
                pass
            try:
                self.proc.wait(0.05)  # the file is looked at again every 50 ms
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"devstack exited {self.proc.returncode}:\n{self.output()}")
        raise AssertionError(f"devstack did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tree(self) -> list[int]:
        return procs.descendants(self.proc.pid)

    def stop(self, sig=signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(15)


def wait_gone(pids: list[int], timeout: float = 10) -> list[int]:
    """Wait until these processes have ended (a pidfd turns readable at exit); return those still alive."""
    fds = []
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # already gone
            fds.append(os.pidfd_open(pid))
    try:
        deadline, left = time.monotonic() + timeout, list(fds)
        while left and (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select(left, [], [], remaining)
            left = [fd for fd in left if fd not in ready]
    finally:
        for fd in fds:
            os.close(fd)
    return [p for p in pids if procs.alive(p)]
