"""The sandbox's knobs: one mutable dataclass, changed at start-up or through POST /__admin/config."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

FAULT_KINDS = ("error", "hang", "malformed", "unauthorized", "empty", "challenge", "blocked", "legacy")
# The status of a rule that names none.
FAULT_STATUS = {"challenge": 403, "blocked": 403, "legacy": 422}
FAULT_KNOBS = {"faults", "error_rate", "error_status", "hang_rate", "hang_seconds", "malformed_rate"}
# Webhooks (webhooks.py): how ready deliveries are picked, and how a cancel is announced.
HOOK_ORDERS = ("fifo", "lifo", "shuffle")
HOOK_CANCELS = ("delete", "update")
# Knobs with a range: (smallest, largest or None) allowed.
_RANGES = {
    "webhook_delay_s": (0.0, None),
    "webhook_max_attempts": (1, 100),
    "webhook_backoff_s": (0.0, None),
    "webhook_timeout_s": (0.01, 300.0),
    "webhook_duplicate_every": (0, None),
    "webhook_workers": (1, 16),
}


@dataclass
class FaultRule:
    """One fault: what happens, to which requests, and when (by rate, every Nth, a count or a window)."""

    # error | hang | malformed | unauthorized | empty (a 2xx without a body, as YCLIENTS did) |
    # challenge / blocked (Cloudflare's own HTML page in front of Altegio: "Just a moment..." with
    # cf-mitigated: challenge, or "Attention Required!"; the request never reaches Altegio) |
    # legacy (an error in Altegio's older shape {"errors": {"code", "message"}}; nothing committed)
    kind: str
    rate: float | None = None  # probability per matching request
    every: int | None = None  # every Nth matching request
    times: int | None = None  # stop after firing this many times
    after_s: float = 0.0  # active from this many seconds after the rule was set...
    for_s: float | None = None  # ...for this long (None = for ever)
    path: str | None = None  # substring of the request path, e.g. "/book_record"
    methods: list[str] | None = None
    status: int | None = None  # error: 500, challenge / blocked: 403, legacy: 422 unless given
    hang_s: float = 30.0  # kind=hang
    before: bool = False  # kind=hang: hang before handling, so nothing is committed
    code: int | None = None  # kind=legacy: errors.code (default: the status)
    message: str | None = None  # kind=legacy: errors.message (default: Altegio's words for the status)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {self.kind!r}")
        if self.status is None:
            self.status = FAULT_STATUS.get(self.kind, 500)
        if self.methods:
            self.methods = [m.upper() for m in self.methods]


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 1
    partner_token: str = "sandbox-partner-token"
    # The user token of the locations' administrator (Altegio: a user allowed to change company
    # settings), needed for GET|POST /hooks_settings/{company_id}.
    admin_user_token: str = "sandbox-admin-user-token"
    # None: a random code per request (still written to the log and to GET /__admin/sms).
    sms_code: str | None = "123456"
    rate_limit: bool = True
    per_second: int = 5
    per_minute: int = 200
    # Window lengths are knobs so tests can watch a "minute" pass in a fraction of a second.
    second_window_s: float = 1.0
    minute_window_s: float = 60.0
    trust_forwarded_for: bool = False
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    # Shorthand fault knobs (by rate); `faults` holds rules with schedules.
    error_rate: float = 0.0
    error_status: int = 500
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    malformed_rate: float = 0.0
    faults: list[FaultRule] = field(default_factory=list)
    revoked_tokens: list[str] = field(default_factory=list)  # partner or user tokens answered with 401
    # Documented variants: auth, user data, record detail and i18n answer without the envelope.
    unwrapped: bool = False
    # A location without a privacy policy answers 404 instead of an empty agreement.
    privacy_missing_404: bool = False
    # The clock (clock.py): pinned at this instant (ISO with offset) and moving on with real time from when
    # it was set, or staying there when frozen; None = real time. Setting either re-pins it.
    now: str | None = None
    frozen: bool = False
    ledger_size: int = 100_000
    log_requests: bool = True
    # Company webhooks (webhooks.py). `webhook_urls` are every location's hooks_settings (active, records
    # on) after start-up or a reset; POST /hooks_settings/{company_id} changes one location's until then.
    webhook_urls: list[str] = field(default_factory=list)
    webhook_delay_s: float = 0.0  # a change is sent this long after it happened (sandbox clock)
    webhook_max_attempts: int = 5  # per delivery: a non-2xx answer or none at all is tried again...
    webhook_backoff_s: float = 1.0  # ...after this long, doubling each time (sandbox clock)
    webhook_timeout_s: float = 5.0  # the receiver not answering within this (real seconds) is a failure
    webhook_duplicate_every: int = 0  # every Nth change is delivered twice (0: never)
    webhook_order: str = "fifo"  # among deliveries due together: oldest first, newest first, or shuffled
    webhook_paused: bool = False  # deliveries wait (queued) until this is false again
    webhook_workers: int = 1  # deliveries sent at once (1: the order knobs are exact)
    webhook_cancel_as: str = "delete"  # a cancel is sent as status "delete", or as "update" with deleted

    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _faults_version: int = field(default=0, init=False, repr=False, compare=False)  # re-arms fault rules
    _clock_version: int = field(default=0, init=False, repr=False, compare=False)  # re-pins the clock
    _hooks_version: int = field(default=0, init=False, repr=False, compare=False)  # re-seeds hooks_settings

    def __post_init__(self) -> None:
        if self.now is not None:
            self.now = _coerce("now", self.now, None)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if not f.name.startswith("_")}
        out["faults"] = [dataclasses.asdict(r) for r in self.faults]
        out["revoked_tokens"] = list(self.revoked_tokens)
        out["webhook_urls"] = list(self.webhook_urls)
        return out

    def apply(self, updates: dict[str, Any]) -> None:
        """Validate every key first, then set them all under the lock (all or nothing)."""
        names = {f.name: f for f in dataclasses.fields(self) if not f.name.startswith("_")}
        unknown = sorted(set(updates) - set(names))
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        coerced = {key: _coerce(key, value, names[key].default) for key, value in updates.items()}
        with self._lock:
            for key, value in coerced.items():
                setattr(self, key, value)
            if FAULT_KNOBS & coerced.keys():
                self._faults_version += 1
            if {"now", "frozen"} & coerced.keys():
                self._clock_version += 1
            if "webhook_urls" in coerced:
                self._hooks_version += 1


_OPTIONAL_TEXT = {"sms_code", "now"}


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Check a knob's value against the type of its default (JSON gives ints where floats are meant)."""
    if key == "faults":
        if not isinstance(value, list):
            raise ValueError("faults must be a list of rules")
        return [v if isinstance(v, FaultRule) else FaultRule(**v) for v in value]
    if key == "revoked_tokens":
        if not isinstance(value, list | tuple | set):
            raise ValueError("revoked_tokens must be a list of strings")
        return [str(v) for v in value]
    if key == "webhook_urls":
        return webhook_urls(value)
    if key in ("webhook_order", "webhook_cancel_as"):
        allowed = HOOK_ORDERS if key == "webhook_order" else HOOK_CANCELS
        if value not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(allowed)}")
        return value
    if key in _OPTIONAL_TEXT:
        if value is not None and key == "now":
            try:
                datetime.fromisoformat(str(value)).utcoffset().total_seconds()
            except (ValueError, AttributeError) as exc:
                raise ValueError("now must be an ISO datetime with an offset") from exc
        return None if value is None else str(value)
    kind = type(default)
    expected = {bool: "true or false", int: "a whole number", float: "a number"}.get(kind, "text")
    if kind is bool or isinstance(value, bool) or value is None:
        if kind is not bool or not isinstance(value, bool):
            raise ValueError(f"{key} must be {expected}")
        return value
    try:
        coerced = kind(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{key} must be {expected}") from exc
    low, high = _RANGES.get(key, (None, None))
    if low is not None and coerced < low or high is not None and coerced > high:
        raise ValueError(f"{key} must be from {low}" + (f" to {high}" if high is not None else " up"))
    return coerced


def webhook_urls(value: Any) -> list[str]:
    """A list of absolute http(s) URLs (a string may hold several, split by commas or spaces)."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple):
        raise ValueError("webhook urls must be a list of http(s) URLs")
    out = []
    for url in value:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook urls must be absolute http(s) URLs, not {str(url)[:60]!r}")
        out.append(url)
    return out
