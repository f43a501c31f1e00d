"""The reliability suite's kit (issue 8): the gateway when things go wrong.

- Rel: the shared `local_stack` (tests/conftest.py) with helpers: `rel.call(...)` goes through the local
  API Gateway exactly as a partner's request would; `rel.mark()` / `rel.upstream_since(mark)` show every
  request that reached the sandbox Altegio from the gateway (a wire tap in front of its WSGI app, so
  admin calls and unrouted paths count too, not only the sandbox's own ledger; the suite's own set-up
  calls carry X-Rel-Direct and are left out); `rel.cache_keys()` lists the cache table's items.
- WATCH (module level, so it covers the WHOLE pytest session, every suite): every log line of the
  gateway and the local runtime (root logger at INFO, the Lambda runtime's default; the shared Powertools
  logger through its own production formatter) and every response the local API Gateway and the page
  send. Values that must never show are learnt from the traffic itself: phone numbers, SMS codes,
  passwords sent in bodies, user tokens in Authorization headers and answers, record hashes in paths
  and answers. test_rel_secrets.py (moved to the very end of the run) checks them.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import logging
import re
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from devstack.apigw import Gateway as _LocalGateway
from devstack.site import Site as _LocalSite
from sandbox import FaultRule

ROOT = Path(__file__).resolve().parents[2]
PROJECT_TEMPLATE = ROOT / "template.yaml"
PARTNER_TOKEN = "sandbox-partner-token"
SMS_CODE = "123456"
RIGA, NEW_YORK = 101, 202
SERVICE = {RIGA: 10011, NEW_YORK: 20011}  # offered every day by someone (sandbox/__init__.py)
API = "/api/v1"
HANG_S = 9.5  # longer than the gateway's read (5 s) and write (8 s) timeouts
FAULTS = ("down", "slow", "5xx", "429", "malformed", "revoked")

HTTP = urllib3.PoolManager(
    num_pools=8, maxsize=64, block=False, retries=False, timeout=urllib3.Timeout(connect=3, read=40)
)


# -- replies ---------------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str
    json: Any = None
    seconds: float = 0.0

    @classmethod
    def make(cls, status: int, headers: dict[str, str], body: bytes, seconds: float = 0.0) -> Reply:
        text = body.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return cls(status, {k.lower(): v for k, v in headers.items()}, text, parsed, seconds)

    @property
    def message(self) -> str | None:
        meta = self.json.get("meta") if isinstance(self.json, dict) else None
        return meta.get("message") if isinstance(meta, dict) else None

    @property
    def data(self) -> Any:
        return self.json.get("data") if isinstance(self.json, dict) and "success" in self.json else self.json

    @property
    def is_error_envelope(self) -> bool:
        j = self.json
        return (
            isinstance(j, dict)
            and j.get("success") is False
            and "data" in j
            and isinstance(j.get("meta"), dict)
            and isinstance(j["meta"].get("message"), str)
            and bool(j["meta"]["message"].strip())
        )

    def short(self) -> str:
        return f"{self.status} {self.body[:300]!r}"


# -- the session-wide watch: log lines, responses, and the values that must never show ------------------
_FOREIGN_LOGGERS = (
    "sandbox",
    "werkzeug",
    "moto",
    "botocore",
    "boto3",
    "s3transfer",
    "hypothesis",
    "schemathesis",
)
_PATH_SECRETS = (
    re.compile(r"/book_record/\d+/\d+/([^/?#]+)"),
    re.compile(r"/user/records/\d+/([^/?#]+)"),
)
_BODY_SECRET_KEYS = ("phone", "code", "password", "old_password", "new_password", "confirmation_code")
_ANSWER_SECRET_KEYS = ("user_token", "record_hash", "hash", "phone")
_TOKEN_LIKE = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")
# A token or hash sent by a client is learnt only if it could be one: random, so with a digit in it
# (Altegio's are hex or alphanumeric). A fuzzer's word in a hash's place ('__main__') is not a secret,
# and would be "found" wherever the word is ordinary text (a logger's name).
_RANDOM_ENOUGH = re.compile(r"\d")
# A URL path in a log line; only its secret positions (_PATH_SECRETS) are scanned, since the others hold
# ids (a fuzzed team member id 999999 is not the SMS code 999999 another request sent).
_URL_PATH = re.compile(r"(?<![\w.])(?:/[^\s\"'?#/<>]+){2,}/?")
# What a real value of each kind looks like: fuzzers' random strings ("en-US" as a phone) are not learnt,
# or they would be "found" in ordinary log lines.
_PLAUSIBLE = {
    "phone": re.compile(r"^\+?[0-9][0-9 ()\-.]{5,20}[0-9]$"),
    "code": re.compile(r"^[0-9]{4,10}$"),
    "confirmation_code": re.compile(r"^[0-9]{4,10}$"),
    "password": re.compile(r"^(?=.*[^A-Za-z]).{8,128}$"),
    "old_password": re.compile(r"^(?=.*[^A-Za-z]).{8,128}$"),
    "new_password": re.compile(r"^(?=.*[^A-Za-z]).{8,128}$"),
}
_AUTH_TOKENS = re.compile(r"(?:Bearer|User)\s+([^\s,]+)", re.IGNORECASE)


class _Lines(logging.Handler):
    """Keeps formatted lines of every logger but the foreign ones (sandbox, moto, HTTP internals)."""

    def __init__(self, max_lines: int = 400_000):
        super().__init__(logging.INFO)
        self.skip: set[str] = set()
        self.lines: deque[tuple[str, str]] = deque(maxlen=max_lines)
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_FOREIGN_LOGGERS) or record.name in self.skip:
            return
        try:
            line = self.format(record)
        except Exception as exc:  # a line that cannot be formatted is still evidence
            line = f"UNFORMATTABLE {record.name}: {record.msg!r} {exc!r}"
        if len(self.lines) == self.lines.maxlen:
            self.dropped += 1
        self.lines.append((record.name, line))


class Watch:
    def __init__(self) -> None:
        self.root_lines = _Lines()
        self.powertools_lines = _Lines()
        self._powertools_hooked = False
        self._installed = False
        self.secrets: set[str] = {SMS_CODE, PARTNER_TOKEN}
        self.partner_token_hits: list[str] = []
        self.responses_seen = 0
        self._lock = threading.Lock()

    # -- installation (at import of this conftest: before any test of any suite runs) --
    def install(self) -> None:
        if self._installed:
            return
        self._installed = True
        root = logging.getLogger()
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)  # what the Lambda runtime's root logger passes on
        # Powertools puts a SuppressFilter for its own records on the root handlers it finds (the Lambda
        # runtime's); its lines are collected through its own handler instead.
        self.root_lines.skip = {"booking-gateway", "service_undefined"}
        root.addHandler(self.root_lines)
        _tap_class(_LocalGateway, self)
        _tap_class(_LocalSite, self)

    def hook_powertools(self) -> None:
        """The gateway's Powertools logger through its own (masking) formatter, and the masking filter on
        our root handler, as observability.py puts it on the Lambda runtime's root handler.

        Only once a handler has imported the layer: importing it here, before the local stack has set
        the template's environment, would name the logger `service_undefined`."""
        if self._powertools_hooked or "booking_gateway.observability" not in sys.modules:
            return
        from booking_gateway import masking
        from booking_gateway.observability import logger

        masking.install_filter([self.root_lines])
        self.root_lines.skip.add(logger._logger.name)  # noqa: SLF001
        self.powertools_lines.setFormatter(logger.registered_formatter)
        logger._logger.addHandler(self.powertools_lines)  # noqa: SLF001 - the stdlib logger under Logger
        self._powertools_hooked = True

    # -- what the traffic teaches --
    def learn(self, *values: Any) -> None:
        with self._lock:
            for value in values:
                text = "" if value is None else str(value).strip()
                if len(text) >= 5:
                    self.secrets.add(text)

    def learn_request(self, path: str, headers, body: bytes) -> None:
        # Only what could be a real token or hash (the gateway refuses anything else before using it):
        # hostile garbage in a path is not a secret, and is rightly logged as sent.
        for pattern in _PATH_SECRETS:
            self.learn(*(v for v in pattern.findall(path) if _plausible_token(v)))
        for name, value in headers:
            if name.lower() == "authorization":
                self.learn(*(v for v in _AUTH_TOKENS.findall(value) if _plausible_token(v)))
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                return
            self._walk(parsed, _BODY_SECRET_KEYS)

    def learn_answer(self, body: bytes) -> None:
        if b"{" not in body[:200]:
            return
        try:
            parsed = json.loads(body)
        except ValueError:
            return
        self._walk(parsed, _ANSWER_SECRET_KEYS)

    def _walk(self, value: Any, keys: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                key = str(k).lower()
                if key in keys and isinstance(v, str | int) and not isinstance(v, bool):
                    if _PLAUSIBLE.get(key, _TOKEN_LIKE).match(str(v).strip()):
                        self.learn(v)
                else:
                    self._walk(v, keys)
        elif isinstance(value, list):
            for item in value:
                self._walk(item, keys)

    def observe(self, kind: str, req, resp) -> None:
        self.responses_seen += 1
        self.learn_request(req.path, req.headers, req.body or b"")
        blob = resp.body or b""
        header_text = "\n".join(f"{k}: {v}" for k, v in resp.headers)
        if PARTNER_TOKEN.encode() in blob or PARTNER_TOKEN in header_text:
            self.partner_token_hits.append(f"{kind} {req.method} {req.path} -> {resp.status}")
        self.learn_answer(blob)

    # -- the check --
    def all_lines(self) -> list[tuple[str, str]]:
        return list(self.root_lines.lines) + list(self.powertools_lines.lines)

    def leaks(self, lines: list[tuple[str, str]] | None = None) -> list[str]:
        with self._lock:
            values = sorted(self.secrets, key=len, reverse=True)
        if not values:
            return []
        # Whole values only: not inside a longer word, number, time ("+0000") or path segment.
        pattern = re.compile(r"(?<![\w+\-:.])(?:" + "|".join(re.escape(v) for v in values) + r")(?![\w:])")
        found = []
        for name, line in self.all_lines() if lines is None else lines:
            match = pattern.search(_URL_PATH.sub(_secret_positions, line))
            if match:
                found.append(f"{match.group(0)!r} in [{name}] {line[:300]}")
        return found


def _plausible_token(value: str) -> bool:
    return bool(_TOKEN_LIKE.match(value) and _RANDOM_ENOUGH.search(value))


def _secret_positions(path: re.Match) -> str:
    """A URL path in a log line, reduced to what sits where a secret goes (a record hash, a token): the
    rest are ids, matched by coincidence only."""
    return " ".join(v for p in _PATH_SECRETS for v in p.findall(path.group(0)))


def _tap_class(cls, watch: Watch) -> None:
    """Observe every response the local API Gateway / page sends (a wrapper; the class is not edited)."""
    original = cls.__call__
    if getattr(original, "_rel_tapped", False):
        return

    def tapped(self, req):
        watch.hook_powertools()
        resp = original(self, req)
        watch.hook_powertools()
        gateway = getattr(self, "gateway", self)  # the page forwards /api/* to its gateway
        if getattr(getattr(gateway, "template", None), "path", None) != PROJECT_TEMPLATE:
            return resp  # a test project's gateway (tests/devstack), not this one
        try:
            watch.observe(cls.__name__, req, resp)
        except Exception:  # the watch must never change what a test sees
            logging.getLogger("tests.reliability").exception("watch failed")
        return resp

    tapped._rel_tapped = True  # type: ignore[attr-defined]
    cls.__call__ = tapped


WATCH = Watch()


# -- upstream faults (sandbox knobs) -------------------------------------------------------------------
@contextlib.contextmanager
def upstream_fault(rel, name: str):
    """One of the issue's upstream faults, set on the sandbox, and cleared on the way out."""
    sb = rel.sandbox
    if name == "down":
        port = sb.port
        sb.stop()
        try:
            yield
        finally:
            sb.config.port = port  # the same address: the gateway's configuration is not touched
            sb.start()
            rel.tap.install(sb)
        return
    if name == "slow":
        sb.configure(faults=[FaultRule("hang", hang_s=HANG_S, path="/api/v1/")])
    elif name == "5xx":
        sb.configure(faults=[FaultRule("error", status=503, path="/api/v1/")])
    elif name == "429":
        sb.configure(rate_limit=True, per_second=1, per_minute=1, minute_window_s=30.0)
        sb.app.limiter.clear()
        # The one call of the minute, made directly: from now on every call gets 429 + Retry-After.
        HTTP.request("GET", sb.api_base + "/book_services/101", headers={"X-Rel-Direct": "1"})
    elif name == "malformed":
        sb.configure(malformed_rate=1.0)
    elif name == "revoked":
        sb.configure(revoked_tokens=[PARTNER_TOKEN])
    try:
        yield
    finally:
        sb.configure(
            faults=[],
            malformed_rate=0.0,
            revoked_tokens=[],
            rate_limit=False,
            per_second=5,
            per_minute=200,
            minute_window_s=60.0,
        )
        sb.app.limiter.clear()


@contextlib.contextmanager
def budget_kept_fresh(rel):
    """Tests whose subject is not the budget (test_rel_load.py's is) send far more distinct requests than
    Altegio's 5/s allows, and the budget would rightly answer 503 + Retry-After to many: its counters are
    emptied before every turn the gateway takes while the block runs (on the event, not on a timer: a
    loaded machine starves a timer thread for seconds, and the budget then fills for real)."""
    budget = importlib.import_module("booking_gateway.budget")  # the local stack's, in this process
    take = budget.take
    # The test's own thread empties the table: a function's thread would call DynamoDB as its role.
    resetter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rel-budget-reset")

    def take_fresh(*args, **kwargs):
        resetter.submit(rel.reset_budget).result()
        return take(*args, **kwargs)

    rel.reset_budget()
    budget.take = take_fresh
    try:
        yield
    finally:
        budget.take = take
        resetter.shutdown()


# -- DynamoDB faults -----------------------------------------------------------------------------------
HANG_CAP_S = 20.0  # a stalled endpoint: waits the client's read timeout, at most this long here


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, *args, **kwargs):
        yield self._data


class DynamoFault:
    """Counts and breaks the gateway's DynamoDB calls while `active`: the call from botocore's HTTP layer
    (Endpoint._send), so botocore's own retries run as against AWS; only on the local API Gateway's
    threads (the gateway's calls), never the test's own look-ups on the main thread."""

    def __init__(self, mode: str, every: int = 1, active: bool = True) -> None:
        self.mode, self.every, self.active = mode, every, active
        self.calls = 0
        self.injected = 0
        self._n = itertools.count(1)
        self._lock = threading.Lock()

    def applies(self, request) -> bool:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        return target.startswith("DynamoDB_") and threading.current_thread() is not threading.main_thread()

    def __call__(self, original, endpoint, request):
        if not self.active or not self.applies(request):
            return original(endpoint, request)
        with self._lock:
            self.calls += 1
            hit = next(self._n) % self.every == 0
            if hit:
                self.injected += 1
        if not hit:
            return original(endpoint, request)
        if self.mode == "throttled":
            body = {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded.",
            }
            headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "rel-throttle"}
            return AWSResponse(request.url, 400, headers, _Raw(json.dumps(body).encode()))
        if self.mode == "refused":
            raise EndpointConnectionError(endpoint_url=request.url)
        timeout = getattr(endpoint.http_session, "_timeout", None)
        read = getattr(timeout, "read_timeout", None) or getattr(timeout, "_read", None) or 60
        time.sleep(min(float(read), HANG_CAP_S))
        raise ReadTimeoutError(endpoint_url=request.url)


@contextlib.contextmanager
def dynamodb_fault(monkeypatch, mode: str, every: int = 1, active: bool = True):
    """DynamoDB throttled (every `every`-th call), refused (moto stopped) or hung (a stalled endpoint)."""
    fault = DynamoFault(mode, every, active)
    original = Endpoint._send
    monkeypatch.setattr(Endpoint, "_send", lambda self, request: fault(original, self, request))
    try:
        yield fault
    finally:
        monkeypatch.setattr(Endpoint, "_send", original)


# -- the sandbox wire tap ---------------------------------------------------------------------------------
class WireTap:
    """Every HTTP request that reaches the sandbox (its WSGI app), admin and unrouted paths included."""

    def __init__(self) -> None:
        self.entries: list[dict] = []
        self._lock = threading.Lock()
        self._app = None

    def install(self, sandbox) -> None:
        server = sandbox._server  # noqa: SLF001 - the werkzeug server calls server.app(environ, ...)
        if getattr(server.app, "_rel_tap", False):
            return
        inner = server.app

        def app(environ, start_response):
            with self._lock:
                self.entries.append(
                    {
                        "n": len(self.entries) + 1,
                        "ts": time.time(),
                        "method": environ.get("REQUEST_METHOD"),
                        "path": environ.get("PATH_INFO", ""),
                        "raw": environ.get("RAW_URI") or environ.get("REQUEST_URI") or "",
                        "query": environ.get("QUERY_STRING", ""),
                        "auth": environ.get("HTTP_AUTHORIZATION", ""),
                        "direct": bool(environ.get("HTTP_X_REL_DIRECT")),
                    }
                )
            return inner(environ, start_response)

        app._rel_tap = True  # type: ignore[attr-defined]
        server.app = app

    def mark(self) -> int:
        with self._lock:
            return len(self.entries)

    def since(self, mark: int) -> list[dict]:
        with self._lock:
            return list(self.entries[mark:])


# -- the gateway under test ---------------------------------------------------------------------------------
class Rel:
    def __init__(self, stack) -> None:
        self.stack = stack
        self.sandbox = stack.sandbox
        self.tap = WireTap()
        self.tap.install(self.sandbox)
        self.cache_table = stack.template.tables["CacheTable"].name
        self.budget_table = stack.template.tables["BudgetTable"].name
        self.idempotency_table = stack.template.tables["IdempotencyTable"].name

    # -- HTTP --
    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        api_key: bool = True,
        content_type: str | None = "application/json",
        timeout: float = 40.0,
        base: str | None = None,
    ) -> Reply:
        """A request through the local API Gateway; `path` is under /api/v1 (unless it starts with /)."""
        hdrs = {"Accept": "application/vnd.api.v2+json"}
        if (body is not None or raw is not None) and content_type:
            hdrs["Content-Type"] = content_type
        if api_key:
            hdrs["x-api-key"] = self.stack.api_key
        hdrs.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        url = (base or self.stack.gateway_url) + (path if path.startswith("/") else f"{API}/{path}")
        started = time.perf_counter()
        resp = HTTP.request(
            method,
            url,
            body=data,
            headers=hdrs,
            timeout=urllib3.Timeout(connect=3, read=timeout),
            redirect=False,
            preload_content=True,
        )
        return Reply.make(resp.status, dict(resp.headers), resp.data, time.perf_counter() - started)

    def raw_request(self, raw: bytes, timeout: float = 10.0) -> bytes:
        """Bytes straight onto a socket to the gateway (for requests urllib3 refuses to build)."""
        import socket

        host, port = self.stack.gateway_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=timeout) as s:
            s.sendall(raw)
            chunks = []
            s.settimeout(timeout)
            while True:
                try:
                    chunk = s.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                    m = re.search(rb"content-length:\s*(\d+)", head, re.IGNORECASE)
                    if m and len(rest) >= int(m.group(1)):
                        break
            return b"".join(chunks)

    # -- upstream and cache evidence --
    def mark(self) -> int:
        return self.tap.mark()

    def upstream_since(self, mark: int, *, api_only: bool = False) -> list[dict]:
        entries = [e for e in self.tap.since(mark) if not e["direct"]]
        return [e for e in entries if e["path"].startswith(API)] if api_only else entries

    def cache_keys(self) -> set[str]:
        table = self.stack.dynamodb.Table(self.cache_table)
        keys: set[str] = set()
        kwargs: dict[str, Any] = {"ProjectionExpression": "pk"}
        while True:
            page = table.scan(**kwargs)
            keys.update(str(item["pk"]) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return keys
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def cache_items(self) -> list[dict]:
        table = self.stack.dynamodb.Table(self.cache_table)
        items: list[dict] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = table.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _empty(self, table_name: str, prefix: str = "") -> int:
        table = self.stack.dynamodb.Table(table_name)
        n = 0
        with table.batch_writer() as batch:
            kwargs: dict[str, Any] = {"ProjectionExpression": "pk"}
            while True:
                page = table.scan(**kwargs)
                for item in page["Items"]:
                    if str(item["pk"]).startswith(prefix):
                        batch.delete_item(Key={"pk": item["pk"]})
                        n += 1
                if "LastEvaluatedKey" not in page:
                    return n
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def reset_budget(self) -> None:
        """A fresh upstream budget, as if the calls before had been long ago (for tests whose subject is
        not the budget; the load test keeps it): the shared table's counters, and the in-process fallback
        limiter a container uses while the table is unreachable (as in a fresh container)."""
        self._empty(self.budget_table)
        container = sys.modules.get("booking_gateway.container")
        if container is not None:  # requests may be running: the limiter only, not the whole container
            container.reset("budget.local")

    def clear_cache(self) -> None:
        self._empty(self.cache_table)
        container = sys.modules.get("booking_gateway.container")
        if container is not None:  # the generations start again: the notes kept of the old ones are wrong
            container.reset("cache.notes", "cache.heard")

    def age_cache(self) -> int:
        """Make every cached response no longer fresh (kept, so it may be served stale)."""
        table = self.stack.dynamodb.Table(self.cache_table)
        past = int(time.time()) - 1
        n = 0
        for item in self.cache_items():
            if str(item["pk"]).startswith("c#"):
                table.update_item(
                    Key={"pk": item["pk"]},
                    UpdateExpression="SET fresh_until = :t",
                    ExpressionAttributeValues={":t": past},
                )
                n += 1
        return n

    def reset(self) -> None:
        self.sandbox.reset(config=True)
        self.stack.reset()
