"""The page as CloudFront serves it: web/ files with the template's security headers and gzip, and
/api/* sent on to the gateway with the page's API key added (the origin custom header)."""

from __future__ import annotations

import base64
import gzip
import mimetypes
import os
import threading
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote

from .apigw import API_HOST, forwarded_for
from .httpd import App, Request, Response
from .template import Edge

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".woff2": "font/woff2",
    ".ico": "image/x-icon",
}
# CloudFront compresses these types, from 1,000 bytes up.
_COMPRESSIBLE = ("text/", "application/json", "application/manifest+json", "image/svg+xml", "application/xml")
_MIN_GZIP = 1000
# The address the API origin sees connecting: one of CloudFront's edges, never the viewer (TEST-NET-2).
EDGE_IP = "198.51.100.10"
# Viewer headers CloudFront does not pass to the API origin (AllViewerExceptHostHeader), plus hop-by-hop.
_NOT_FORWARDED = {"host", "connection", "keep-alive", "te", "upgrade", "proxy-connection"}


class Site:
    def __init__(self, web_dir: Path, edge: Edge, gateway: App):
        self.web_dir = Path(web_dir).resolve()
        self.edge = edge
        self.gateway = gateway
        self._gz: dict[tuple[Path, int, int], bytes] = {}
        self._gz_lock = threading.Lock()

    def __call__(self, req: Request) -> Response:
        if req.path.startswith(self.edge.api_prefix):
            return self.forward(req)
        if req.method not in ("GET", "HEAD"):
            return self._plain(403, "This distribution only allows GET and HEAD for the page.")
        return self.static(req)

    def forward(self, req: Request) -> Response:
        """What the /api/* cache behaviour does: all viewer headers but Host, the origin's own headers."""
        custom = {k.lower() for k in self.edge.origin_headers}
        headers = [(k, v) for k, v in req.headers if k.lower() not in _NOT_FORWARDED | custom]
        headers += list(self.edge.origin_headers.items())  # replaces a viewer-sent x-api-key
        headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
        headers += [
            ("X-Forwarded-For", forwarded_for(req)),  # the viewer's address appended to what it sent
            ("Host", API_HOST),
            ("Via", "1.1 local.cloudfront.net (CloudFront)"),
            ("X-Amz-Cf-Id", base64.urlsafe_b64encode(os.urandom(42)).decode()),
        ]
        fwd = Request(
            req.method,
            self.edge.origin_path + req.path,
            req.query,
            headers,
            req.body,
            EDGE_IP,  # API Gateway appends this and calls it sourceIp
            req.server_port,
        )
        return self.gateway(fwd)

    def static(self, req: Request) -> Response:
        rel = unquote(req.path).lstrip("/")
        if not rel and self.edge.default_root:
            rel = self.edge.default_root
        file = (self.web_dir / rel).resolve()
        if not file.is_relative_to(self.web_dir) or not file.is_file() or _hidden(file, self.web_dir):
            return self._plain(404, "Not Found")
        stat = file.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        ctype = (
            TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        headers = [
            ("Content-Type", ctype),
            ("ETag", etag),
            ("Cache-Control", "no-cache"),
            ("Last-Modified", formatdate(stat.st_mtime, usegmt=True)),
        ]
        headers += list(self.edge.security_headers.items())
        compressible = self.edge.compress and ctype.startswith(_COMPRESSIBLE) and stat.st_size >= _MIN_GZIP
        if compressible:
            headers.append(("Vary", "Accept-Encoding"))
        if req.header("If-None-Match") == etag:
            return Response(304, [h for h in headers if h[0] != "Content-Type"])
        body = file.read_bytes()
        if compressible and _accepts_gzip(req.header("Accept-Encoding", "")):
            body = self._gzip(file, stat, body)
            headers.append(("Content-Encoding", "gzip"))
        return Response(200, headers, body)

    def _gzip(self, file: Path, stat, body: bytes) -> bytes:
        key = (file, stat.st_mtime_ns, stat.st_size)
        with self._gz_lock:
            if key not in self._gz:
                self._gz[key] = gzip.compress(body, compresslevel=6, mtime=0)
            return self._gz[key]

    def _plain(self, status: int, text: str) -> Response:
        headers = [("Content-Type", "text/plain; charset=utf-8"), *self.edge.security_headers.items()]
        return Response(status, headers, (text + "\n").encode())


def _hidden(file: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(root).parts)


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return float(q) > 0 if params.strip().startswith("q=") else True
            except ValueError:
                return True
    return False
