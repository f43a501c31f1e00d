"""A tiny webhook receiver for the sandbox's tests: an HTTP server in a thread that keeps every POST and
answers from a script (statuses to answer next, then 200), or holds requests until released.

    with Receiver() as rx:
        sb.configure(webhook_urls=[rx.url])
        ...
        events = rx.wait_for(2)          # at least 2 POSTs (bounded wait; returns as soon as they are in)
        rx.answer(500, 503)               # the next two answers, then 200 again
        rx.hold()                         # requests are kept (recorded first) until rx.release()
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WAIT_S = 10.0  # bound of every wait: a delivery that never comes fails the test instead of hanging it


class Receiver:
    def __init__(self, path: str = "/hooks/altegio/receiver-secret-0123456789"):
        self.path = path
        self.received: list[dict] = []  # {"path", "body", "headers"} in arrival order
        self._cond = threading.Condition()
        self._answers: deque[int] = deque()
        self._released = threading.Event()
        self._released.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    receiver.received.append(
                        {"path": self.path, "body": json.loads(raw), "headers": dict(self.headers)}
                    )
                    receiver._cond.notify_all()
                receiver._released.wait(WAIT_S * 3)
                with receiver._cond:
                    status = receiver._answers.popleft() if receiver._answers else 200
                body = b'{"ok":true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{self.path}"

    def answer(self, *statuses: int) -> None:
        with self._cond:
            self._answers.extend(statuses)

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def wait_for(self, n: int, timeout: float = WAIT_S) -> list[dict]:
        """The bodies of the first `n` POSTs, waiting for them (at most `timeout` seconds)."""
        with self._cond:
            arrived = self._cond.wait_for(lambda: len(self.received) >= n, timeout)
            assert arrived, f"{len(self.received)} of {n} webhooks arrived within {timeout} s"
            return [r["body"] for r in self.received[:n]]

    def bodies(self) -> list[dict]:
        with self._cond:
            return [r["body"] for r in self.received]

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
