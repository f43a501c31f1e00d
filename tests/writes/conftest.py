"""Fixtures for the write / client-cabinet suite, on the local stack (tests/conftest.py `local_stack`).

- `gw`: the local stack with a fresh sandbox and empty tables, plus helpers: `gw.http(...)` goes through
  the local API Gateway (x-api-key, REST proxy events, CORS) exactly as a partner's request would;
  `gw.invoke(folder, ...)` calls the function in-process with an event built from events/<folder>.json.
- Every log line written while a test runs is captured (the shared Powertools logger through its own,
  masking formatter; the root logger as the Lambda runtime would print it) and scanned afterwards for
  every phone, name, e-mail, SMS code, password, user token, record hash and the partner token the
  suite has sent or received. A hit fails the test.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import urllib3
import yaml
from aws_lambda_powertools.logging.filters import SuppressFilter

ROOT = Path(__file__).resolve().parents[2]
PARTNER_TOKEN = "sandbox-partner-token"
SMS_CODE = "123456"
_HTTP = urllib3.PoolManager(
    num_pools=4, maxsize=32, retries=False, timeout=urllib3.Timeout(connect=2, read=30)
)


class _CfnLoader(yaml.SafeLoader):
    pass


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _logical_ids() -> dict[str, str]:
    """functions/<folder> -> the template's logical id."""
    with open(ROOT / "template.yaml") as fh:
        resources = yaml.load(fh, Loader=_CfnLoader)["Resources"]  # noqa: S506 (a SafeLoader)
    out = {}
    for logical_id, res in resources.items():
        if res.get("Type") == "AWS::Serverless::Function":
            out[res["Properties"]["CodeUri"].strip("/").split("/")[-1]] = logical_id
    return out


LOGICAL_IDS = _logical_ids()


# -- log capture and the secret scan ---------------------------------------------------------------------
class LineCollector(logging.Handler):
    """Keeps every formatted line (thread-safe)."""

    def __init__(self, level: int = logging.INFO):
        super().__init__(level)
        self.lines: list[tuple[str, str]] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception as exc:
            line = f"UNFORMATTABLE {record.name}: {exc!r}"
        with self._guard:
            self.lines.append((record.name, line))

    def mark(self) -> int:
        with self._guard:
            return len(self.lines)

    def since(self, mark: int) -> list[tuple[str, str]]:
        with self._guard:
            return list(self.lines[mark:])


# Not the gateway: the sandbox Altegio (it logs its fake SMS on purpose), moto, werkzeug, HTTP internals.
_FOREIGN = ("sandbox", "werkzeug", "moto", "botocore", "boto3", "urllib3", "s3transfer")


class SecretBook:
    """Values that must never appear in a log line (whole-word match; values under 5 characters skipped)."""

    BODY_KEYS = (
        "phone",
        "fullname",
        "fulname",
        "email",
        "code",
        "login",
        "password",
        "old_password",
        "new_password",
        "confirmation_code",
        "name",
        "comment",
        "text",
    )
    ANSWER_KEYS = ("user_token", "record_hash", "hash", "phone", "email", "0")

    def __init__(self) -> None:
        self.values: set[str] = set()
        self._guard = threading.Lock()

    def add(self, *values: Any) -> None:
        with self._guard:
            for value in values:
                text = "" if value is None else str(value).strip()
                if len(text) >= 5:
                    self.values.add(text)

    def from_request(self, path: str, body: Any, headers: dict[str, str] | None) -> None:
        if isinstance(body, dict):
            self.add(*(body[k] for k in self.BODY_KEYS if body.get(k) not in (None, "")))
        for name, value in (headers or {}).items():
            if name.lower() == "authorization":
                self.add(*re.findall(r"(?:Bearer|User)\s+([^\s,]+)", value))
        for pattern in (
            r"/book_record/\d+/\d+/([^/?]+)",
            r"/user/records/\d+/([^/?]+)",
            r"/master_record_review/([^/?]+)",
            r"[?&]phone=([^&]+)",
        ):
            self.add(*re.findall(pattern, path))

    def from_answer(self, body: Any) -> None:
        if isinstance(body, dict):
            for key, value in body.items():
                if key in self.ANSWER_KEYS and isinstance(value, str):
                    self.add(value)
                self.from_answer(value)
        elif isinstance(body, list):
            for item in body:
                self.from_answer(item)

    def leaks(self, lines: list[tuple[str, str]]) -> list[str]:
        with self._guard:
            patterns = [(v, re.compile(r"(?<![\w])" + re.escape(v) + r"(?![\w])")) for v in self.values]
        found = []
        for name, line in lines:
            if name.startswith(_FOREIGN):
                continue
            found += [
                f"{value!r} in [{name}] {line[:400]}" for value, pattern in patterns if pattern.search(line)
            ]
        return found


SECRETS = SecretBook()
SECRETS.add(PARTNER_TOKEN, SMS_CODE)


# -- replies ---------------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    json: Any = None

    @classmethod
    def make(cls, status: int, headers: dict[str, str], body: str) -> Reply:
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        return cls(status, {k.lower(): v for k, v in headers.items()}, body, parsed)

    @classmethod
    def of_proxy(cls, result: dict) -> Reply:
        headers = dict(result.get("headers") or {})
        for k, v in (result.get("multiValueHeaders") or {}).items():
            headers.setdefault(k, ", ".join(map(str, v)))
        return cls.make(int(result["statusCode"]), headers, result.get("body") or "")

    @property
    def codes(self) -> list[int]:
        meta = self.json.get("meta") if isinstance(self.json, dict) else None
        errors = meta.get("errors") if isinstance(meta, dict) else None
        return [e.get("code") for e in errors or [] if isinstance(e, dict)]

    @property
    def message(self) -> str | None:
        meta = self.json.get("meta") if isinstance(self.json, dict) else None
        return meta.get("message") if isinstance(meta, dict) else None

    @property
    def data(self) -> Any:
        return self.json.get("data") if isinstance(self.json, dict) and "success" in self.json else self.json


# -- the gateway under test ---------------------------------------------------------------------------------
@dataclass
class Gateway:
    stack: Any
    powertools: LineCollector
    extra: dict = field(default_factory=dict)

    @property
    def sandbox(self):
        return self.stack.sandbox

    def http(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | str | None = None,
        api_key: bool = True,
    ) -> Reply:
        """A request through the local API Gateway; `path` is under /api/v1."""
        hdrs = {"Accept": "application/vnd.api.v2+json"}
        if body is not None or raw is not None:
            hdrs["Content-Type"] = "application/json"
        if api_key:
            hdrs["x-api-key"] = self.stack.api_key
        hdrs.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        SECRETS.from_request(path, body, hdrs)
        resp = _HTTP.request(method, self.stack.api_base + path, body=data, headers=hdrs)
        reply = Reply.make(resp.status, dict(resp.headers), resp.data.decode("utf-8", "replace"))
        SECRETS.from_answer(reply.json)
        return reply

    def invoke(self, folder: str, event: dict) -> Reply:
        """The function's handler, in-process through the stack's warm instances (like `make invoke`)."""
        SECRETS.from_request(event.get("path") or "", _json_or_none(event.get("body")), event.get("headers"))
        reply = Reply.of_proxy(self.stack.invoke(LOGICAL_IDS[folder], event))
        SECRETS.from_answer(reply.json)
        return reply

    def upstream(self, method: str, path: str, *, body: Any = None, user_token: str | None = None) -> Reply:
        """Straight to the sandbox Altegio (what Altegio itself answers), for comparisons."""
        auth = f"Bearer {PARTNER_TOKEN}" + (f", User {user_token}" if user_token else "")
        hdrs = {
            "Accept": "application/vnd.api.v2+json",
            "Content-Type": "application/json",
            "Authorization": auth,
        }
        SECRETS.from_request(path, body, hdrs)
        resp = _HTTP.request(
            method,
            self.sandbox.api_base + path,
            body=json.dumps(body).encode() if body else None,
            headers=hdrs,
        )
        reply = Reply.make(resp.status, dict(resp.headers), resp.data.decode("utf-8", "replace"))
        SECRETS.from_answer(reply.json)
        return reply

    def bookings(self, path_part: str = "/book_record") -> list[dict]:
        """The sandbox ledger's requests whose path contains path_part."""
        return [r for r in self.sandbox.requests() if path_part in r["path"]]


def _json_or_none(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


ROOT_COLLECTOR = LineCollector()


@pytest.fixture(scope="session")
def gateway_session(local_stack):
    from booking_gateway.observability import logger

    root = logging.getLogger()
    # As Powertools does for the root handlers it finds (the Lambda runtime's): the shared logger's records
    # are printed by its own handler (masked), not a second time by root. Its service name is whatever the
    # environment said when observability was first imported.
    ROOT_COLLECTOR.addFilter(SuppressFilter(logger.service))
    saved_level = root.level
    root.setLevel(logging.INFO)  # what the Lambda runtime's root logger passes on by default
    # First among root's handlers: it sees each record before any handler's filter could mask it, so a
    # plain `logging` call with personal data fails the scan even though production's filter would mask it.
    root.handlers.insert(0, ROOT_COLLECTOR)
    powertools = LineCollector()
    powertools.setFormatter(logger.registered_formatter)  # the production formatter, masking included
    logger._logger.addHandler(powertools)  # noqa: SLF001 (the stdlib logger under Powertools' Logger)
    try:
        yield Gateway(local_stack, powertools)
    finally:
        logger._logger.removeHandler(powertools)  # noqa: SLF001
        root.removeHandler(ROOT_COLLECTOR)
        root.setLevel(saved_level)


@pytest.fixture
def gw(gateway_session):
    """A fresh sandbox (state, ledger, knobs) and empty tables; this test's log lines scanned afterwards."""
    stack = gateway_session.stack
    stack.sandbox.reset(config=True)
    stack.reset()
    marks = (ROOT_COLLECTOR.mark(), gateway_session.powertools.mark())
    yield gateway_session
    stack.sandbox.reset(config=True)
    lines = ROOT_COLLECTOR.since(marks[0]) + gateway_session.powertools.since(marks[1])
    leaks = SECRETS.leaks(lines)
    assert not leaks, "personal data or secrets in log lines:\n" + "\n".join(leaks[:20])


@pytest.fixture
def write_timeout(gateway_session, monkeypatch) -> float:
    """A short upstream read timeout for writes (seconds), so slow-upstream tests stay quick."""
    from booking_gateway import container
    from booking_gateway.settings import get_settings

    monkeypatch.setenv("UPSTREAM_WRITE_TIMEOUT", "1.5")
    container.reset()
    yield get_settings().write_read_timeout
    monkeypatch.undo()
    container.reset()
