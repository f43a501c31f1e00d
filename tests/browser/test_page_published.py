"""The page as `make deploy` publishes it (tests/deploy checks the objects), loaded in Chromium from the
bucket: index.html at the root, every module, style and string from its release, config.json from the
stack, under the template's Content-Security-Policy; /api/* goes to the local stack as on CloudFront."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from page_flow import DESKTOP, choose_service, choose_slot, choose_staff, new_page, open_first_free_day

from deploy.publish import page_config, publish
from deploy.settings import PageSettings
from deploy.stack import Stack
from devstack.aws import MotoServer
from devstack.template import ROOT

pytestmark = pytest.mark.browser
WEB = ROOT / "web"


@pytest.fixture(scope="module")
def published():
    """web/ published to a bucket in moto (its own process); yields (s3, bucket, release)."""
    moto = MotoServer(mode="process").start()
    moto.wait_ready()
    try:
        session = boto3.Session(region_name="eu-west-1")
        s3 = session.client("s3", endpoint_url=moto.url)
        cloudfront = session.client("cloudfront", endpoint_url=moto.url)
        s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        origin = {
            "Id": "s",
            "DomainName": "site.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""},
        }
        dist = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "page-test",
                "Comment": "",
                "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [origin]},
                "DefaultCacheBehavior": {"TargetOriginId": "s", "ViewerProtocolPolicy": "redirect-to-https"},
            }
        )["Distribution"]
        stack = Stack(
            "local",
            "eu-west-1",
            "UPDATE_COMPLETE",
            {"ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/dev/api/v1"},
            {"Stage": "dev", "AllowedLocationIds": "101,202"},
        )
        demo = json.loads((WEB / "config.json").read_text())  # the sandbox's form and locations
        page = PageSettings(bookform=demo["bookform"], locale="en-US", locations=demo["locations"])
        done = publish(s3, cloudfront, "site", dist["Id"], WEB, page_config(stack, page))
        yield s3, "site", done.release
    finally:
        moto.stop()


@pytest.fixture(scope="module")
def cdn(published, stack):
    """CloudFront in front of the bucket: objects with their stored headers plus the template's security
    headers; /api/* on to the local stack's edge, which adds the page's key."""
    s3, bucket, _ = published
    template = getattr(stack, "template", None)
    security = dict(template.edge.security_headers) if template is not None else {}
    api = stack.page_url.rstrip("/")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def handle(self):
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle()

        def _send(self, status, headers, body):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _api(self):
            n = int(self.headers.get("Content-Length") or 0)
            keep = ("Content-Type", "Accept", "Authorization", "Idempotency-Key")
            headers = {k: self.headers[k] for k in keep if self.headers.get(k)}
            req = urllib.request.Request(
                api + self.path, data=self.rfile.read(n) if n else None, method=self.command, headers=headers
            )
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, hdrs, body = r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                status, hdrs, body = e.code, e.headers, e.read()
            self._send(
                status,
                [(k, v) for k, v in hdrs.items() if k.lower() in ("content-type", "retry-after")],
                body,
            )

        def do_GET(self):
            if self.path.startswith("/api/"):
                return self._api()
            key = self.path.split("?", 1)[0].lstrip("/") or "index.html"
            try:
                obj = s3.get_object(Bucket=bucket, Key=key)
            except s3.exceptions.NoSuchKey:
                return self._send(404, [("Content-Type", "text/plain")], b"Not Found")
            headers = [("Content-Type", obj["ContentType"]), ("Cache-Control", obj["CacheControl"])]
            self._send(200, headers + list(security.items()), obj["Body"].read())

        do_POST = do_PUT = do_DELETE = _api

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_published_page_loads_its_own_release_and_books_up_to_the_contact_step(browser, published, cdn):
    _, _, release = published
    page = new_page(browser, DESKTOP)
    answers = []
    page.on(
        "response", lambda r: answers.append((r.url.removeprefix(cdn), r.status, r.request.resource_type))
    )
    page.goto(cdn + "/")
    choose_service(page, keyboard=False)
    choose_staff(page, keyboard=False, any_member=True)
    open_first_free_day(page, keyboard=False)
    # The contact step loads details.js on demand: wait for its answer and its form (an event and a state),
    # not for whatever the step marker says first under load.
    with page.expect_response(lambda r: r.url.endswith("/details.js")) as details:
        choose_slot(page, keyboard=False)
    assert details.value.status == 200 and details.value.url.startswith(f"{cdn}/v/{release}/")
    page.wait_for_selector("#name")
    assert page.errors == []
    files = {url: status for url, status, kind in answers if not url.startswith("/api/")}
    assert all(status == 200 for status in files.values()), files
    versioned = {u for u in files if u.startswith(f"/v/{release}/")}
    assert set(files) - versioned == {"/", "/config.json"}, files
    for name in ("app.js", "details.js", "styles.css", "i18n/en-US.json"):
        assert f"/v/{release}/{name}" in versioned
    assert any(url.startswith("/api/v1/book_times/") and status == 200 for url, status, _ in answers)
    page.context.close()
