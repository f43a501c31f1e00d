"""Who is calling: the caller class (the page, or a partner's key) and the visitor's address.

    caller.bind(event)        # app_factory's handler, once per request
    caller.current().klass    # "page", "key:<api key id>", or "anonymous" (no key: the OpenAPI document)
    caller.current().visitor  # the visitor's address (an IPv6 one as its /64), or None for partner keys

The visitor of the page path: CloudFront appends the viewer's address to X-Forwarded-For (after whatever
the viewer sent), then API Gateway appends the address of the connection it took, a CloudFront edge,
which is also `requestContext.identity.sourceIp`. So the visitor is the second entry from the right,
and only when the request really came through CloudFront: it carries `X-Origin-Verify` equal to the
secret named by ORIGIN_VERIFY_SECRET_ID (compared in constant time). Without that setting (the local
stack, or a stack whose secret is not set up yet) the page's own API key stands for "came through
CloudFront": only CloudFront adds it. Anything else is counted by `sourceIp`, the connection's own
address, which nobody can forge. Entries a viewer writes into X-Forwarded-For sit further left and are
never read.

A partner's server calls for many visitors of its own, so partners' requests have no visitor here (their
usage plans and the per-phone limits hold them); their class is their key id.
"""

from __future__ import annotations

import contextvars
import functools
import hmac
import ipaddress
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from .observability import logger
from .settings import get_settings

ORIGIN_HEADER = "x-origin-verify"
PAGE, ANONYMOUS = "page", "anonymous"
_fetching = threading.Lock()


@dataclass
class Caller:
    klass: str = ANONYMOUS
    source_ip: str | None = None
    forwarded: list[str] = field(default_factory=list)  # X-Forwarded-For entries, left to right
    origin_header: str | None = None
    _visitor: Any = field(default=..., repr=False)

    @property
    def is_partner(self) -> bool:
        return self.klass.startswith("key:")

    @property
    def visitor(self) -> str | None:
        """The visitor's address (computed once: it may read the origin secret); None for a partner."""
        if self._visitor is ...:
            self._visitor = None if self.is_partner else _visitor_of(self)
        return self._visitor


_current: contextvars.ContextVar[Caller] = contextvars.ContextVar("caller")


def bind(event: dict) -> Caller:
    """The caller of this request, for the budget and the limits to read."""
    caller = of_event(event)
    _current.set(caller)
    return caller


def unbind() -> None:
    """No caller bound (tests: one test's caller must not become the next one's)."""
    _current.set(None)


def current() -> Caller:
    """This request's caller (an anonymous one outside a request)."""
    return _current.get(None) or Caller()


def of_event(event: dict) -> Caller:
    context = event.get("requestContext") or {}
    identity = context.get("identity") or {}
    key_id = identity.get("apiKeyId")
    page_id = get_settings().page_api_key_id
    klass = PAGE if key_id and key_id == page_id else f"key:{key_id}" if key_id else ANONYMOUS
    return Caller(klass, identity.get("sourceIp"), _forwarded(event), _header(event, ORIGIN_HEADER))


def _header(event: dict, name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return value
    return None


def _forwarded(event: dict) -> list[str]:
    """Every X-Forwarded-For entry in order: several header lines count as one list, as RFC 9110 says."""
    lines = [vs for k, vs in (event.get("multiValueHeaders") or {}).items() if k.lower() == "x-forwarded-for"]
    values = [v for vs in lines for v in vs] or [_header(event, "x-forwarded-for") or ""]
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def _visitor_of(caller: Caller) -> str | None:
    if caller.source_ip is None and not caller.forwarded:
        return None
    # [..., viewer (CloudFront's), edge (API Gateway's)]: the viewer only when CloudFront vouches for it.
    if len(caller.forwarded) >= 2 and _through_cloudfront(caller):
        viewer = _address(caller.forwarded[-2])
        if viewer is not None:
            return viewer
    return _address(caller.source_ip or "") or caller.source_ip


def _through_cloudfront(caller: Caller) -> bool:
    secret_id = get_settings().origin_verify_secret_id
    if not secret_id:
        return caller.klass == PAGE
    sent = caller.origin_header
    if not sent:
        return False
    expected = _origin_secret(secret_id)
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def _origin_secret(secret_id: str) -> str | None:
    """The value CloudFront sends in X-Origin-Verify: the secret's string, or its JSON's "value"."""
    # The partner token's provider: no boto3 session of its own (Powertools' default provider builds one,
    # ~40 ms of a first request); imported here so a function that never reads a secret loads no botocore.
    from .partner_token import secrets_provider

    max_age = int(os.environ.get("POWERTOOLS_PARAMETERS_MAX_AGE", "300"))
    try:
        with _fetching:
            raw = secrets_provider().get(secret_id, max_age=max_age)
    except Exception as exc:  # unreadable: nobody is trusted, so visitors count by their edge
        logger.warning("origin secret unavailable", extra={"error": type(exc).__name__})
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return str(parsed.get("value") or "") if isinstance(parsed, dict) else text


@functools.lru_cache(maxsize=1024)
def _address(text: str) -> str | None:
    """A canonical address to count by: IPv4 as it is, IPv6 as its /64 (one subscriber's usual share)."""
    try:
        ip = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
