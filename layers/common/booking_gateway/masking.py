"""Masking of personal data and secrets in log output and traces: the one place that decides what never
reaches a log or an X-Ray segment.

Three layers, applied to every structured log line by `MaskingFormatter` (hooked into the shared Powertools
logger in observability.py) and to plain `logging` records by `MaskingFilter`:

1. by key: values under keys such as `phone`, `fullname`, `email`, `code`, `password`, `user_token`,
   `record_hash`, `authorization` are masked wherever they sit in a nested dict / list;
2. by value: secrets the gateway handles in this container (the partner token, user tokens and record
   hashes of the current request) are registered with `register_secret` and replaced in any text;
3. by pattern, in every string: `Bearer …` / `User …` credentials, record hashes and review tokens in
   paths, e-mail addresses, international phone numbers, long hex strings (tokens, hashes) and
   `key=value` / `"key": "value"` pairs of the keys above inside free text.

Traces: `redact_trace` masks an X-Ray segment document (the upstream URL the tracer records, exception
messages, metadata) and keeps its ids and timings; observability.py sends every segment through it.

Why not Powertools data masking (`DataMasking.erase`): it erases fields at known JSONPath expressions, so
it cannot find a phone number inside a message string or an exception text, it needs jsonpath-ng in
the layer, and its JSONPath parsing per call is too slow for a per-log-line hook. This module is the
"equivalent in one place" the design allows.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from . import container

MASK = "***"

# Keys whose values are secrets: never shown, not even in part.
SECRET_KEYS = frozenset(
    {
        "password",
        "old_password",
        "new_password",
        "code",
        "sms_code",
        "confirmation_code",
        "user_token",
        "token",
        "partner_token",
        "record_hash",
        "hash",
        "rhash",
        "record_token",
        "authorization",
        "x_api_key",
        "api_key",
        "apikey",
        "cookie",
        "set_cookie",
        "x_origin_verify",
    }
)
# Keys whose values are personal data: shown with all but the edges masked (enough to correlate).
PERSONAL_KEYS = frozenset(
    {
        "phone",
        "client_phone",
        "fullname",
        "fulname",
        "full_name",
        "name",
        "client_name",
        "email",
        "client_email",
        "login",
        "comment",
        "text",
    }
)
# Keys of the logger's own envelope whose values are never personal: left as they are (trace ids look hex).
SAFE_KEYS = frozenset(
    {
        "level",
        "location",
        "timestamp",
        "service",
        "sampling_rate",
        "xray_trace_id",
        "correlation_id",
        "function_request_id",
        "function_arn",
        "function_name",
        "function_memory_size",
        "cold_start",
    }
)

_KEY_ALTERNATION = "|".join(
    sorted((re.escape(k) for k in SECRET_KEYS | PERSONAL_KEYS), key=len, reverse=True)
)
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization values: "Bearer <partner>, User <user>", "User <token>".
    (re.compile(r"\b(Bearer|User)(\s+)[^\s,;\"'}\]]+", re.IGNORECASE), r"\1\2" + MASK),
    # Secrets in paths: record hashes and review tokens.
    (re.compile(r"(/book_record/\d+/\d+/)[^/?#\s\"']+"), r"\1" + MASK),
    (re.compile(r"(/user/records/\d+/)[^/?#\s\"']+"), r"\1" + MASK),
    (re.compile(r"(/master_record_review/)[^/?#\s\"']+"), r"\1" + MASK),
    # "key": "value" (JSON / repr) and key=value (query strings, kwargs) for the keys above.
    (
        re.compile(rf"([\"']?\b(?:{_KEY_ALTERNATION})[\"']?\s*:\s*)([\"'])(?:(?!\2).)*\2", re.IGNORECASE),
        r"\1\2" + MASK + r"\2",
    ),
    # The same inside a JSON string (quotes escaped, as botocore's DEBUG dump of a secret's body prints).
    (
        re.compile(
            rf"((\\+)[\"'](?:{_KEY_ALTERNATION})\2[\"']\s*:\s*\2[\"'])(?:(?!\2[\"']).)*", re.IGNORECASE
        ),
        r"\1" + MASK,
    ),
    (re.compile(rf"(\b(?:{_KEY_ALTERNATION})(?:%5B%5D|\[\])?=)[^&\s\"',;]+", re.IGNORECASE), r"\1" + MASK),
    # E-mail addresses.
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), MASK + "@" + MASK),
    # International phone numbers (+ and 7-15 digits, separators allowed) and bare 11-15 digit runs.
    (re.compile(r"(?<![\w])\+\d(?:[\s\-().]*\d){6,14}(?!\d)"), "+" + MASK),
    (re.compile(r"(?<![\w.:-])\d{11,15}(?![\w])"), MASK),
    # Long hex runs: user tokens, record hashes, anything token-like.
    (re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{20,}(?![0-9A-Fa-f])"), MASK),
)


class _SecretRegistry:
    """Values known to be secret in this container (bounded: the newest `size` are kept)."""

    def __init__(self, size: int = 512):
        self._size = size
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        with self._lock:
            self._values[value] = None
            self._values.move_to_end(value)
            while len(self._values) > self._size:
                self._values.popitem(last=False)
            self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                alternatives = sorted(self._values, key=len, reverse=True)
                # Whole values only: a code "123456" must not eat into an account id "123456789012".
                self._pattern = re.compile(
                    r"(?<!\w)(?:" + "|".join(re.escape(v) for v in alternatives) + r")(?!\w)"
                )
            return self._pattern


def _registry() -> _SecretRegistry:
    return container.get("masking.secrets", _SecretRegistry)


def register_secret(value: str | None) -> None:
    """Remember a secret (partner token, user token, record hash) so it is masked wherever it appears.

    Values shorter than 5 characters are ignored: masking them would blank out ordinary words."""
    if value and len(value) >= 5:
        _registry().add(value)


def register_personal(body: Any) -> None:
    """Register the personal and secret values of a request body (phone, name, e-mail, codes ...), so
    that they are masked even where they turn up inside free text (an exception message, say)."""
    if isinstance(body, Mapping):
        for name, value in body.items():
            key = _norm_key(name)
            if key in SECRET_KEYS or key in PERSONAL_KEYS:
                if isinstance(value, str | int) and not isinstance(value, bool):
                    register_secret(str(value).strip())
            else:
                register_personal(value)
    elif isinstance(body, list | tuple):
        for item in body:
            register_personal(item)


def clear_secrets() -> None:
    """For tests."""
    _registry().clear()


def mask_value(value: object, keep: int = 2) -> str:
    """'+37120000001' -> '+3*******01'; short values (and keep=0) are masked entirely."""
    text = "" if value is None else str(value)
    if keep <= 0 or len(text) <= keep * 2 + 2:
        return MASK
    return text[:keep] + "*" * (len(text) - keep * 2) + text[-keep:]


def mask_text(text: str) -> str:
    """Mask every known secret and every personal-data pattern inside free text."""
    if not text:
        return text
    secrets = _registry().pattern()
    if secrets is not None:
        text = secrets.sub(MASK, text)
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _norm_key(key: object) -> str:
    return str(key).strip().lower().replace("-", "_")


def redact(value: Any, key: str | None = None) -> Any:
    """A masked copy of `value`: containers walked, strings scanned, numbers kept, other objects as text."""
    k = _norm_key(key) if key is not None else None
    if k in SECRET_KEYS and value not in (None, "", [], {}):
        if k == "code" and type(value) is int and 400 <= value <= 599:
            return value  # an HTTP / Altegio error code (433), not an SMS code
        return MASK
    if k in PERSONAL_KEYS and isinstance(value, str | int) and not isinstance(value, bool):
        return mask_value(value) if value != "" else value
    if isinstance(value, Mapping):
        return {name: redact(item, name) for name, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bytes | bytearray):
        return mask_text(bytes(value).decode("utf-8", "replace"))
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_text(str(value))  # exceptions, datetimes, models: as the JSON serialiser would print them


def redact_log(log: Mapping[str, Any]) -> dict[str, Any]:
    """A structured log line with every field masked except the logger's own envelope keys."""
    return {key: (value if key in SAFE_KEYS else redact(value, key)) for key, value in log.items()}


# X-Ray's own fields: ids (trace ids are long hex runs), timings and flags, kept as they are.
_TRACE_STRUCTURE = frozenset(
    {"id", "trace_id", "parent_id", "start_time", "end_time", "in_progress", "type", "namespace", "origin"}
    | {"error", "fault", "throttle"}
)


def redact_trace(document: Mapping[str, Any]) -> dict[str, Any]:
    """A masked copy of one X-Ray segment or subsegment document and its subsegments: the recorded URL
    (http.request.url, whose path carries record hashes and review tokens), exception messages, metadata,
    annotations and SDK fields masked like log lines; ids, timings and flags kept."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        if key == "subsegments" and isinstance(value, list):
            out[key] = [redact_trace(sub) if isinstance(sub, Mapping) else redact(sub) for sub in value]
        elif key in _TRACE_STRUCTURE:
            out[key] = value
        elif key == "name":  # a host or a method name: a value to scan, not a person's name
            out[key] = mask_text(str(value))
        else:
            out[key] = redact(value, key)
    return out


class MaskingFormatter(LambdaPowertoolsFormatter):
    """The Powertools JSON formatter, masking each line just before it is serialised."""

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return super().serialize(redact_log(log))


class MaskingFilter(logging.Filter):
    """For plain `logging` handlers (the Lambda runtime's root handler, tests): masks message and extras."""

    _STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw template, masked
            message = str(record.msg)
        record.msg, record.args = mask_text(message), None
        for name in [n for n in record.__dict__ if n not in self._STANDARD]:
            record.__dict__[name] = redact(record.__dict__[name], name)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


def install_filter(handlers: Iterable[logging.Handler] | None = None) -> None:
    """Attach one MaskingFilter to each handler (default: the root logger's), once."""
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
