"""What the embed and analytics tests need around the local stack: the page served under other template
parameters (its security headers as CloudFront would send them), a partner's site on another origin, and
the analytics vendors' hosts answered by local stubs (no network)."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from devstack.httpd import Request, Response, Server
from devstack.site import Site
from devstack.template import Template

STUBS = Path(__file__).parent / "vendor_stubs"
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def page_server(stack, **parameters) -> Server:
    """The page and /api/* of the running local stack, its response headers from template.yaml with these
    parameters (e.g. PageFrameAncestors, PageAnalyticsVendors): what a stack deployed with them serves."""
    t = Template(stack.template_path, {**stack.template.overrides, **parameters})
    edge = dataclasses.replace(stack.template.edge, security_headers=t.edge.security_headers)
    return Server(Site(stack.web_dir, edge, stack.gateway), "127.0.0.1", 0, "page-params")


class PartnerSite:
    """A partner's pages at http://localhost:<port>: another origin than the page's 127.0.0.1."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        self._server = Server(self._app, "127.0.0.1", 0, "partner")
        self.origin = f"http://localhost:{self._server.port}"

    def _app(self, req: Request) -> Response:
        html = self.pages.get(req.path)
        if html is None:
            return Response(404, [("Content-Type", "text/plain")], b"Not Found\n")
        return Response(
            200, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], html.encode()
        )

    def add(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.origin + path

    def stop(self) -> None:
        self._server.stop()


@dataclasses.dataclass
class Hit:
    vendor: str
    url: str
    query: dict
    body: str


class Vendors:
    """Routes every address off this machine: the vendors' script hosts get the stubs, their collection
    hosts are recorded and answered 204, anything else is recorded and refused."""

    SCRIPTS = {
        r"^https://www\.googletagmanager\.com/gtag/js\?id=": "gtag.js",
        r"^https://www\.googletagmanager\.com/gtm\.js\?id=": "gtag.js",
        r"^https://connect\.facebook\.net/en_US/fbevents\.js$": "fbevents.js",
        r"^https://mc\.yandex\.ru/metrika/tag\.js$": "tag.js",
    }
    COLLECT = {
        r"^https://www\.google-analytics\.com/g/collect\?": "google",
        r"^https://www\.facebook\.com/tr/\?": "meta",
        r"^https://mc\.yandex\.ru/watch/\d+\?": "yandex",
    }

    def __init__(self, context):
        self.scripts: list[str] = []
        self.hits: list[Hit] = []
        self.refused: list[str] = []
        self._lock = threading.Lock()
        context.route(lambda url: urlsplit(url).hostname not in LOCAL_HOSTS, self._refuse)
        for pattern, name in self.SCRIPTS.items():
            context.route(re.compile(pattern), self._script(name))
        for pattern, vendor in self.COLLECT.items():
            context.route(re.compile(pattern), self._collect(vendor))

    def _refuse(self, route):
        with self._lock:
            self.refused.append(route.request.url)
        route.abort()

    def _script(self, name):
        body = (STUBS / name).read_text()

        def handle(route):
            with self._lock:
                self.scripts.append(route.request.url)
            route.fulfill(status=200, content_type="text/javascript", body=body)

        return handle

    def _collect(self, vendor):
        def handle(route):
            url = route.request.url
            query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            with self._lock:
                self.hits.append(Hit(vendor, url, query, route.request.post_data or ""))
            route.fulfill(status=204, body="")

        return handle

    def of(self, vendor: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.vendor == vendor]

    def events(self, vendor: str) -> list[str]:
        """Event names in the order sent: GA `en`, Meta `ev`, Metrika's goal (or `pageview`)."""
        out = []
        for h in self.of(vendor):
            q = h.query
            out.append(q.get("en") or q.get("ev") or q.get("goal") or q.get("hit", ""))
        return out

    def params(self, hit: Hit) -> dict:
        raw = hit.query.get("ep") or hit.query.get("cd") or hit.query.get("params") or "{}"
        return json.loads(raw)

    @property
    def anything(self) -> list[str]:
        with self._lock:
            return [*self.scripts, *(h.url for h in self.hits), *self.refused]
