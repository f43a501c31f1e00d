"""The local HTTP server on the wire: one write per answer, TCP_NODELAY, every method to the app, and the
port check `make dev` runs before starting."""

from __future__ import annotations

import errno
import http.client
import socket
import threading
from pathlib import Path

import pytest

from devstack import httpd, procs
from devstack.httpd import Request, Response, Server


def _app(req: Request) -> Response:
    return Response(200, [("Content-Type", "text/plain"), ("X-Method", req.method)], b"body of " + req.body)


@pytest.fixture
def server():
    srv = Server(_app, label="wire")
    yield srv
    srv.stop()


@pytest.fixture
def writes(monkeypatch):
    """Every write the server makes on an accepted connection, with TCP_NODELAY as set on it then."""
    seen: list[tuple[int, bytes]] = []
    lock = threading.Lock()
    setup = httpd._Handler.setup

    def recording_setup(self):
        setup(self)
        wfile, conn = self.wfile, self.connection

        class Recorder:
            def write(self, data):
                nodelay = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                with lock:
                    seen.append((nodelay, bytes(data)))
                return wfile.write(data)

            def __getattr__(self, name):
                return getattr(wfile, name)

        self.wfile = Recorder()

    monkeypatch.setattr(httpd._Handler, "setup", recording_setup)
    return seen


def test_each_answer_goes_out_in_one_write_with_nodelay(server, writes):
    """Headers and body written apart make a kept-alive client wait for its delayed ACK (~40 ms each):
    counted here, not timed."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for method, body in (("GET", None), ("POST", b"x" * 3000), ("HEAD", None), ("GET", None)):
            conn.request(method, "/thing", body=body)
            reply = conn.getresponse()
            got = reply.read()
            assert reply.status == 200 and not reply.will_close
            assert got == (b"" if method == "HEAD" else b"body of " + (body or b""))
    finally:
        conn.close()
    assert len(writes) == 4, [w[:40] for _, w in writes]  # one per answer, on one connection
    assert all(nodelay for nodelay, _ in writes)
    post = writes[1][1]
    assert post.startswith(b"HTTP/1.1 200 OK\r\n") and post.endswith(b"\r\n\r\nbody of " + b"x" * 3000)
    assert b"Content-Length: 3008\r\n" in post and b"X-Method: POST\r\n" in post
    assert writes[2][1].endswith(b"\r\n\r\n")  # HEAD: headers only, Content-Length of the GET


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO"])
def test_every_method_reaches_the_app(server, method):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, "/x")
        reply = conn.getresponse()
        assert (reply.status, reply.getheader("X-Method"), reply.read()) == (200, method, b"body of ")
    finally:
        conn.close()


def test_a_burst_of_new_connections_waits_in_the_backlog(monkeypatch):
    """Dozens of clients connecting at once, before the server accepts any, are all queued and answered
    (a backlog of 5 left the rest unconnected: resets and lost requests in the load run)."""
    gate = threading.Event()
    accept = httpd._Server.get_request

    def held(self):
        gate.wait(30)
        return accept(self)

    monkeypatch.setattr(httpd._Server, "get_request", held)
    srv = Server(_app, label="burst")
    clients: list[http.client.HTTPConnection] = []
    try:
        for _ in range(64):  # the kernel completes each handshake only while the backlog has room
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
            conn.connect()
            clients.append(conn)
        for conn in clients:
            conn.request("GET", "/")
        gate.set()
        assert [c.getresponse().status for c in clients] == [200] * 64
    finally:
        gate.set()
        for conn in clients:
            conn.close()
        srv.stop()


def _time_wait_on(port: int) -> bool:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "06":  # 06: TIME_WAIT
                return True
    return False


def _plain_bind_fails(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
        return False


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads TCP states from Linux /proc")
def test_a_port_whose_old_connections_wait_in_time_wait_is_free():
    """`make dev` right after a stop: the stopped server closed its kept-alive connections first, so they
    linger in TIME_WAIT for ~60 s; the port check must not call that port busy (the server could bind)."""
    srv = Server(_app, label="old")
    port = srv.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/")
    conn.getresponse().read()
    srv.stop()  # shuts the kept-alive connection down from the server's side
    conn.close()
    done = threading.Event()
    for _ in range(200):  # the kernel finishes the close handshake on its own: wait for that state
        if _time_wait_on(port):
            break
        done.wait(0.01)
    assert _time_wait_on(port) and _plain_bind_fails(port), "no TIME_WAIT to test against"
    assert procs.port_is_free("127.0.0.1", port)
    again = Server(_app, port=port, label="new")  # and a server really can take it
    again.stop()


def test_a_listening_port_is_still_busy():
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert not procs.port_is_free("127.0.0.1", s.getsockname()[1])
