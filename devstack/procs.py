"""Child processes that cannot outlive the stack, free ports, and waiting for a port to listen."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

_PRIVATE_ENV = ("ALTEGIO_PARTNER_TOKEN",)  # the real partner token goes to moto's secret, not to children
_PR_SET_PDEATHSIG = 1
# Looked up now: the child may only call it (no dlopen between fork and exec in a threaded parent).
_prctl = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None


def _dies_with(parent: int):
    def die_with_parent() -> None:  # runs in the child between fork and exec
        # The kernel kills the child when the parent dies, even by SIGKILL, so nothing is orphaned. SIGKILL,
        # not SIGTERM: a supervisor that stops normally stops its children in order (stop()); one that was
        # killed leaves nothing to shut down cleanly, and a busy child's SIGTERM handling (moto and the
        # sandbox wait for their request threads) outlived a killed supervisor by seconds under load.
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return die_with_parent


def spawn(cmd: list[str], *, stdout=None, stderr=None, env: dict | None = None, cwd=None) -> subprocess.Popen:
    """A child in its own session: Ctrl-C reaches only the supervisor, which stops children in order."""
    return subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env=child_env() if env is None else env,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_dies_with(os.getpid()) if _prctl else None,
    )


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}


def stop(proc: subprocess.Popen | None, timeout: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen there now. SO_REUSEADDR as the servers set it: connections of a
    stopped stack lingering in TIME_WAIT (~60 s) do not hold the port, a listening socket still does."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def wait_port(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((host, port)) == 0:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    # A zombie has exited; it only waits for its parent to reap it.
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def descendants(pid: int) -> list[int]:
    """Every process below pid (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out
