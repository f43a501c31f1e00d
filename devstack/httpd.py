"""A small threaded HTTP/1.1 server around `app(Request) -> Response`; one access-log line per request."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

access_log = logging.getLogger("devstack.access")
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass
class Request:
    method: str
    path: str  # raw, still percent-encoded, without the query
    query: str  # raw query string
    headers: list[tuple[str, str]]  # as sent: order, case and repeats kept
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    server_port: int = 0

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), default)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    log_path: str | None = None  # what the access log shows instead of the path (secrets masked)

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), default)


App = Callable[[Request], Response]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections end eventually
    disable_nagle_algorithm = True  # TCP_NODELAY: a small answer goes out at once, whatever the client ACKs
    server: _Server

    def _serve(self) -> None:
        started = time.perf_counter()
        path, _, query = self.path.partition("?")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            resp = Response(411, [("Content-Type", "text/plain")], b"Length Required\n")
            self.close_connection = True
        else:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                head = Request(self.command, path, query, list(self.headers.items()))
                refuse = getattr(self.server.app, "too_large", None)  # the app's own answer, if it has one
                resp = (
                    refuse(head)
                    if refuse
                    else Response(
                        413, [("Content-Type", "application/json")], b'{"message":"Request Too Long"}'
                    )
                )
                self.close_connection = True
            else:
                body = self.rfile.read(length) if length else b""
                req = Request(
                    self.command,
                    path,
                    query,
                    list(self.headers.items()),
                    body,
                    self.client_address[0],
                    self.server.server_port,
                )
                try:
                    resp = self.server.app(req)
                except Exception:
                    access_log.exception("%s %s failed", self.command, path)
                    resp = Response(500, [("Content-Type", "text/plain")], b"devstack error\n")
        self._write(resp)
        ms = (time.perf_counter() - started) * 1000
        access_log.info(
            "%-4s %s %s %d %.0fms X-Cache=%s",
            self.server.label,
            self.command,
            resp.log_path or path,
            resp.status,
            ms,
            resp.header("X-Cache", "-"),
        )

    def _write(self, resp: Response) -> None:
        """Status line, headers and body in one write: split in two, the body would wait for the
        client's delayed ACK of the headers (Nagle), ~40 ms on every kept-alive request."""
        reason = self.responses.get(resp.status, ("",))[0]
        head = [f"{self.protocol_version} {resp.status} {reason}"]
        head += [
            f"{k}: {v}"
            for k, v in resp.headers
            if k.lower() not in ("content-length", "connection", "transfer-encoding")
        ]
        head += [f"Content-Length: {len(resp.body)}", f"Date: {self.date_time_string()}"]
        if self.close_connection:  # else the client may reuse the socket before it sees it closed
            head.append("Connection: close")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "strict")
        self.wfile.write(data if self.command == "HEAD" else data + resp.body)

    def __getattr__(self, name: str):
        # Every method reaches the app (TRACE too), which answers as API Gateway would, never a 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError, OSError):  # the client went away
            super().handle()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the access log has it
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # Python's default backlog of 5 overflows when a load run opens dozens of connections at once:
    # the kernel drops or resets them (lost requests, 1 s SYN retries). API Gateway takes them all.
    request_queue_size = 128

    def __init__(self, addr, app: App, label: str):
        self.app, self.label = app, label
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def process_request_thread(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.discard(request)

    def close_connections(self) -> None:
        """Stopping means stopping: keep-alive connections must not go on being served."""
        with self._conns_lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class Server:
    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, label: str = "http"):
        self._httpd = _Server((host, port), app, label)
        self.host, self.port = host, self._httpd.server_port
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"devstack-{label}",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join(5)
