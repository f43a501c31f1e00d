"""moto's server, with the one DynamoDB promise moto does not keep: a conditional write is atomic.

moto checks a ConditionExpression and then writes, in request threads that run side by side, so under
load two conditional puts of one item can both pass (20 concurrent `attribute_not_exists` puts, thread
switches every microsecond: 3 rounds of 150 had two winners). Then two requests both hold one
Idempotency-Key and a booking goes out twice, which DynamoDB itself never allows. Here DynamoDB's
requests take turns (one lock; the answer is computed inside the call), the other services do not.

    python -m devstack.moto_server -H 127.0.0.1 -p 5055      # as `python -m moto.server`
"""

from __future__ import annotations

import threading
from typing import Any


class OneWriteAtATime:
    """A WSGI wrapper: DynamoDB requests (X-Amz-Target DynamoDB_*) one at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # moto sets and reads attributes of its app (debug)
        return getattr(self.app, name)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self.lock:
                return self.app(environ, start_response)
        return self.app(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    from moto import server

    plain = server.DomainDispatcherApplication
    server.DomainDispatcherApplication = lambda *a, **k: OneWriteAtATime(plain(*a, **k))
    server.main(argv)


if __name__ == "__main__":
    main()
