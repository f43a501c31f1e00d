"""Fault injection: which fault (if any) a request gets, by rate, every Nth, a count or a time window;
and the answers of the faults that replace Altegio's own (Cloudflare's pages, the older error shape)."""

from __future__ import annotations

import json
import random
import secrets
import threading
from dataclasses import dataclass, field

from werkzeug.wrappers import Response

from .clock import SandboxClock
from .config import FaultRule, SandboxConfig


@dataclass
class _Armed:
    rule: FaultRule
    armed_at: float
    seen: int = 0
    fired: int = 0


@dataclass
class Fault:
    kind: str
    status: int = 500
    hang_s: float = 0.0
    before: bool = False
    code: int | None = None
    message: str | None = None
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = f"{self.kind}:{self.status}" if self.kind in ("error", "legacy") else self.kind


class FaultInjector:
    def __init__(self, config: SandboxConfig, clock: SandboxClock):
        self._config, self._clock = config, clock
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._armed: list[_Armed] = []
        self._version: int | None = None

    def _rules(self) -> list[FaultRule]:
        c = self._config
        shorthand = [
            FaultRule("error", rate=c.error_rate, status=c.error_status) if c.error_rate else None,
            FaultRule("hang", rate=c.hang_rate, hang_s=c.hang_seconds) if c.hang_rate else None,
            FaultRule("malformed", rate=c.malformed_rate) if c.malformed_rate else None,
        ]
        return list(c.faults) + [r for r in shorthand if r]

    def _sync(self, now: float) -> None:
        """Re-arm (counters and windows start again) whenever a fault knob is set."""
        if self._config._faults_version != self._version:
            self._version = self._config._faults_version
            self._armed = [_Armed(r, now) for r in self._rules()]

    def pick(self, method: str, path: str) -> Fault | None:
        now = self._clock.monotonic()  # windows move with real time and with advances (clock.py)
        with self._lock:
            self._sync(now)
            for armed in self._armed:
                rule = armed.rule
                if rule.path and rule.path not in path or rule.methods and method.upper() not in rule.methods:
                    continue
                if now < armed.armed_at + rule.after_s:
                    continue
                if rule.for_s is not None and now >= armed.armed_at + rule.after_s + rule.for_s:
                    continue
                if rule.times is not None and armed.fired >= rule.times:
                    continue
                armed.seen += 1
                if rule.every and armed.seen % rule.every:
                    continue
                if rule.rate is not None and self._rng.random() >= rule.rate:
                    continue
                armed.fired += 1
                return Fault(rule.kind, rule.status, rule.hang_s, rule.before, rule.code, rule.message)
        return None

    def reset(self) -> None:
        with self._lock:
            self._version = None
            self._rng = random.Random(self._config.seed)


# -- answers that are not Altegio's own ---------------------------------------------------------------
EDGE_KINDS = ("challenge", "blocked")
_EDGE_HEADERS = {
    "Server": "cloudflare",
    "Cache-Control": "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0",
    "Expires": "Thu, 01 Jan 1970 00:00:01 GMT",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}
# Cloudflare's managed challenge, trimmed: the title, the no-script notice and the challenge script's hooks.
_CHALLENGE_PAGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
    '<meta name="robots" content="noindex,nofollow"><meta http-equiv="refresh" content="390"></head>'
    '<body class="no-js"><div class="main-wrapper" role="main"><div class="main-content">'
    '<h1 class="zone-name-title h1">api.alteg.io</h1><noscript><div class="h2">'
    '<span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>'
    '</div></div><div class="footer" role="contentinfo"><div class="ray-id">Ray ID: <code>{ray}</code></div>'
    '<div id="footer-text">Performance &amp; security by <a href="https://www.cloudflare.com?utm_source='
    'challenge&amp;utm_campaign=m" target="_blank">Cloudflare</a></div></div>'
    "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'api.alteg.io',"
    "cType: 'managed',cRay: '{ray}',cH: '{token}'};var cpo=document.createElement('script');"
    "cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}';"
    "document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>"
)
# Cloudflare's firewall block (error 1020), trimmed.
_BLOCKED_PAGE = (
    '<!DOCTYPE html><html class="no-js" lang="en-US"><head><title>Attention Required! | Cloudflare</title>'
    '<meta charset="UTF-8" /><meta name="robots" content="noindex, nofollow" />'
    '<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/cf.errors.css" /></head><body>'
    '<div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">'
    '<div class="cf-wrapper cf-header cf-error-overview">'
    '<h1 data-translate="block_headline">Sorry, you have been blocked</h1>'
    '<h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span> '
    'alteg.io</h2></div><div class="cf-section cf-wrapper"><h2 data-translate="blocked_why_headline">'
    'Why have I been blocked?</h2><p data-translate="blocked_why_detail">This website is using a security '
    "service to protect itself from online attacks. The action you just performed triggered the security "
    'solution.</p></div><div class="cf-error-footer cf-wrapper"><p class="text-13">'
    '<span class="cf-footer-item">Cloudflare Ray ID: <strong class="font-semibold">{ray}</strong></span>'
    "</p></div></div></div></body></html>"
)
# Altegio's words for an error of the older shape when the rule gives none (altegio-api.md §2.1).
_LEGACY_MESSAGES = {
    400: "Bad request",
    401: "Authentication needed.",
    403: "Access denied.",
    404: "Not found",
    422: "An error has occurred.",
    500: "Internal server error",
}


def edge_page(fault: Fault) -> Response:
    """Cloudflare's own page in front of Altegio (the request never reached it): HTML, a cf-ray header."""
    ray = f"{secrets.token_hex(8)}-RIX"
    page = _CHALLENGE_PAGE if fault.kind == "challenge" else _BLOCKED_PAGE
    headers = {**_EDGE_HEADERS, "CF-RAY": ray}
    if fault.kind == "challenge":
        headers["cf-mitigated"] = "challenge"
    body = page.replace("{ray}", ray.split("-")[0]).replace("{token}", secrets.token_urlsafe(12))
    return Response(body, fault.status, headers=headers, content_type="text/html; charset=UTF-8")


def legacy_error(fault: Fault) -> Response:
    """An error in Altegio's older shape: {"errors": {"code", "message"}}, no success / data / meta."""
    message = fault.message or _LEGACY_MESSAGES.get(fault.status, "An error has occurred.")
    body = {"errors": {"code": fault.status if fault.code is None else fault.code, "message": message}}
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        fault.status,
        content_type="application/json; charset=utf-8",
    )
