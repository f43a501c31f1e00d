"""The WSGI application: rate limit -> latency -> faults -> headers -> operation -> ledger and log line."""

from __future__ import annotations

import logging
import random
import threading
import time

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from . import admin
from .auth import authenticate
from .avatars import avatar_response
from .envelope import ApiError, Reply, error_body, json_response
from .faults import EDGE_KINDS, Fault, FaultInjector, edge_page, legacy_error
from .limits import RateLimiter
from .masking import mask_target
from .routes import API_PREFIX, BY_NAME, Ctx, url_map
from .state import SandboxState

log = logging.getLogger("sandbox")
_GATEWAY_PAGES = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


def _server_error(status: int) -> Response:
    """5xx as Altegio's edge sends them: JSON from the application, an nginx HTML page from the proxy."""
    if status in _GATEWAY_PAGES:
        title = f"{status} {_GATEWAY_PAGES[status]}"
        html = (
            f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center></body></html>"
        )
        return Response(html, status, content_type="text/html")
    return json_response(Reply(status, error_body("Internal server error")))


RESET_WAIT_S = 10.0  # longer than any hang a test injects


class SandboxApp:
    def __init__(self, state: SandboxState):
        self.state = state
        self.config = state.config
        self.limiter = RateLimiter()
        self.faults = FaultInjector(self.config, state.clock)
        self.url_map = url_map()
        self.initial_config = self.config.to_dict()
        self._jitter = random.Random(self.config.seed)
        self._jitter_lock = threading.Lock()
        self._answering = 0  # API calls being answered (a hung one for seconds): reset() waits for them
        self._idle = threading.Condition()

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith(admin.PREFIX) or request.path == "/":
            return admin.handle(self, request)(environ, start_response)
        if request.path.startswith("/images/"):
            return avatar_response(self.state.world, request.path)(environ, start_response)
        # Arrival on the host's real clock, as the limits count it (the ledger says why).
        arrived, started = time.time(), time.perf_counter()
        with self._idle:
            self._answering += 1
        try:
            response, operation, fault = self._api(request)
            ms = (time.perf_counter() - started) * 1000
            self._account(request, response.status_code, ms, operation, fault, arrived)
        finally:
            with self._idle:
                self._answering -= 1
                self._idle.notify_all()
        return response(environ, start_response)

    def client_ip(self, request: Request) -> str:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if self.config.trust_forwarded_for and forwarded.strip():
            return forwarded.split(",")[0].strip()
        return request.remote_addr or "unknown"

    def _api(self, request: Request) -> tuple[Response, str | None, Fault | None]:
        c = self.config
        if c.rate_limit:
            wait = self.limiter.hit(
                self.client_ip(request),
                self.state.clock.monotonic(),  # real seconds plus advances, never frozen (clock.py)
                c.per_second,
                c.per_minute,
                c.second_window_s,
                c.minute_window_s,
            )
            if wait:
                reply = Reply(429, error_body("Too many requests"), {"Retry-After": str(wait)})
                return json_response(reply), None, None
        self._delay()
        try:
            adapter = self.url_map.bind_to_environ(request.environ)
            name, args = adapter.match(request.path.rstrip("/") or "/", method=request.method)
        except NotFound:
            return json_response(Reply(404, error_body("Not found"))), None, None
        except MethodNotAllowed:
            return json_response(Reply(405, error_body("Method not allowed"))), None, None
        fault = self.faults.pick(request.method, request.path)
        if fault and fault.kind == "error":
            return _server_error(fault.status), name, fault
        if fault and fault.kind == "unauthorized":
            return json_response(Reply(401, error_body("Authentication needed."))), name, fault
        if fault and fault.kind in EDGE_KINDS:
            return edge_page(fault), name, fault
        if fault and fault.kind == "legacy":
            return legacy_error(fault), name, fault
        if fault and fault.kind == "hang" and fault.before:
            time.sleep(fault.hang_s)  # real: nothing is committed; the proxy in front gives up
            return _server_error(504), name, fault
        response = json_response(self._operation(request, name, args))
        if fault and fault.kind == "hang":
            time.sleep(fault.hang_s)  # real: committed, but the answer comes too late
        elif fault and fault.kind == "malformed":
            body = response.get_data()
            response.set_data(body[: max(1, len(body) // 2)])
        elif fault and fault.kind == "empty" and 200 <= response.status_code < 300:
            response.set_data(b"")
        return response, name, fault

    def _operation(self, request: Request, name: str, args: dict) -> Reply:
        route = BY_NAME[name]
        try:
            caller = authenticate(
                self.state,
                request.headers.get("Accept"),
                request.headers.get("Authorization"),
                route.need_user,
            )
            ctx = Ctx(self.state, request, caller.user, caller.user_token, caller.admin)
            return route.handler(ctx, **args)
        except ApiError as exc:
            if exc.reason:
                log.info("401 for %s: %s", name, exc.reason)
            return exc.reply
        except Exception:
            log.exception("operation %s failed", name)
            return Reply(500, error_body("Internal server error"))

    def _delay(self) -> None:
        c = self.config
        if c.latency_ms <= 0 and c.jitter_ms <= 0:
            return
        with self._jitter_lock:
            jitter = self._jitter.uniform(0, c.jitter_ms) if c.jitter_ms > 0 else 0.0
        time.sleep(max(0.0, c.latency_ms + jitter) / 1000)  # real: the network, for the callers' timeouts

    def _account(
        self,
        request: Request,
        status: int,
        ms: float,
        operation: str | None,
        fault: Fault | None,
        arrived: float,
    ):
        target = mask_target(request.path, request.query_string.decode("latin-1"))
        ip = self.client_ip(request)
        self.state.ledger.add(
            client_ip=ip,
            method=request.method,
            path=target,
            status=status,
            ms=ms,
            operation=operation,
            fault=fault.label if fault else None,
            arrived=arrived,
        )
        if self.config.log_requests:
            log.info(
                "%s %s %s %d %.1fms%s",
                ip,
                request.method,
                target,
                status,
                ms,
                f" fault={fault.label}" if fault else "",
            )

    @property
    def answering(self) -> int:
        """API calls being answered now."""
        with self._idle:
            return self._answering

    def reset(self, config: bool = False) -> None:
        """The demo state again, once the calls still being answered are (a call a test left hanging would
        otherwise land in the next one's ledger and state)."""
        with self._idle:
            self._idle.wait_for(lambda: self._answering == 0, timeout=RESET_WAIT_S)
        if config:
            self.config.apply(self.initial_config)
        self.state.reset()
        self.limiter.clear()
        self.faults.reset()


__all__ = ["API_PREFIX", "SandboxApp", "json_response"]
