"""Helpers for the read-path suites: HTTP through the local stack, the sandbox's ledger."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

ACCEPT = "application/vnd.api.v2+json"


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def http(base: str, path: str, key: str | None, headers: dict | None = None, method: str = "GET") -> Answer:
    all_headers = {"Accept": ACCEPT, **({"x-api-key": key} if key else {}), **(headers or {})}
    req = urllib.request.Request(base + path, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Answer(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def upstream_calls(stack, path_part: str, since: int = 0) -> int:
    return sum(1 for r in stack.sandbox.requests(since) if path_part in r["path"])
