"""Masks personal data and secrets before anything reaches the sandbox's log or ledger."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

# Path segments that are secrets: record hashes and review tokens.
_SECRET_SEGMENTS = (
    re.compile(r"(/book_record/\d+/\d+/)[^/?]+"),
    re.compile(r"(/user/records/\d+/)[^/?]+"),
    re.compile(r"(/master_record_review/)[^/?]+"),
)
_PERSONAL_KEYS = {"phone", "login", "email", "fullname", "name"}
_SECRET_KEYS = {"code", "password", "confirmation_code"}


def mask(value: object, keep: int = 2) -> str:
    """'+37120000001' -> '+3*********01'; short values vanish entirely."""
    text = "" if value is None else str(value)
    if keep <= 0 or len(text) <= keep * 2 + 1:
        return "*" * len(text)
    return text[:keep] + "*" * (len(text) - keep * 2) + text[-keep:]


def mask_path(path: str) -> str:
    for pattern in _SECRET_SEGMENTS:
        path = pattern.sub(r"\1***", path)
    return path


def _masked_param(key: str, value: str) -> str:
    if key.lower() in _SECRET_KEYS:
        return mask(value, keep=0)
    return mask(value) if key.lower() in _PERSONAL_KEYS else quote(value, safe=",:")


def mask_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='[]')}={_masked_param(k, v)}" for k, v in pairs)


def mask_target(path: str, query: str) -> str:
    masked = mask_path(path)
    return f"{masked}?{mask_query(query)}" if query else masked


def mask_url(url: str) -> str:
    """A webhook URL carries its secret in the path or the query (README): both go, and any user info."""
    parts = urlsplit(url)
    head, _, last = parts.path.rstrip("/").rpartition("/")
    path = f"{head}/***" if last else parts.path
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, path, "***" if parts.query else "", ""))
