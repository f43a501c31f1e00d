"""`Sandbox`: the app on a threaded werkzeug server, in-process for tests or as its own process."""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .admin import ledger
from .app import SandboxApp
from .config import SandboxConfig
from .state import SandboxState

log = logging.getLogger("sandbox")


class _QuietHandler(WSGIRequestHandler):
    """The app writes its own masked request line; werkzeug's would show hashes and phone numbers."""

    def log_request(self, *args: Any) -> None:
        pass

    def log(self, kind: str, message: str, *args: Any) -> None:
        log.debug("server %s: " + message, kind, *args)


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None):
        self.config = config or SandboxConfig()
        self.state = SandboxState(self.config)
        self.app = SandboxApp(self.state)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Sandbox:
        self._server = make_server(
            self.config.host, self.config.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        # Don't let stop() wait for a request hanging on purpose or an idle keep-alive connection.
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sandbox-altegio",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.hooks.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.url + "/api/v1"

    # Direct access for tests (the same as the admin endpoints, without HTTP).
    def configure(self, **knobs: Any) -> Sandbox:
        self.config.apply(knobs)
        self.state.hooks.poke()
        return self

    @property
    def hooks(self):
        """The webhooks (webhooks.py): .status(), .deliveries(since), .changes(since), .settings(id)."""
        return self.state.hooks

    @property
    def clock(self):
        """The sandbox's clock (clock.py): .now(), .advance(s), .state()."""
        return self.state.clock

    def set_clock(self, now: str | None = None, frozen: bool | None = None, rebuild: bool = True) -> Sandbox:
        """Pin the clock at `now` (None: real time), moving on unless frozen; the demo is rebuilt around it
        unless `rebuild` is false (POST /__admin/clock)."""
        self.state.set_clock(now=now, frozen=frozen, rebuild=rebuild, pin=True)
        return self

    def reset(self, config: bool = False) -> Sandbox:
        self.app.reset(config=config)
        return self

    def ledger(self, since: int = 0) -> dict:
        return ledger(self.app, since)

    def requests(self, since: int = 0) -> list[dict]:
        return self.state.ledger.entries(since)

    def appointments(self) -> list[dict]:
        return ledger(self.app)["appointments"]

    def sms_code(self, phone: str) -> str | None:
        return self.state.code_for(phone)
