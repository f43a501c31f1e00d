"""The publish step of make deploy against moto's server: the objects and only those, their Cache-Control
and Content-Type, index.html pointing at its release, config.json from the stack, the invalidation."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from deploy_kit import deploy_stack

from deploy import DeployError
from deploy.publish import page_config, page_files, publish
from deploy.settings import PageSettings
from deploy.stack import Stack
from devstack.template import ROOT

WEB = ROOT / "web"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}
ONE_YEAR_IMMUTABLE = "public, max-age=31536000, immutable"
PAGE = PageSettings(bookform=1, locale="lv-LV", locations={"101": {"name": "Studio Riga"}})


@pytest.fixture
def web(tmp_path):
    """web/ as it is, plus what must never be published."""
    copy = tmp_path / "web"
    shutil.copytree(WEB, copy)
    (copy / ".DS_Store").write_bytes(b"\0")
    (copy / ".cache").mkdir()
    (copy / ".cache" / "x.js").write_text("x")
    (copy / "tests").mkdir()
    (copy / "tests" / "page.js").write_text("test")
    (copy / "calendar.test.js").write_text("test")
    (copy / "i18n" / "NOTES.md").write_text("notes")
    return copy


@pytest.fixture
def deployed(aws):
    outputs = deploy_stack(aws, "gw-dev", parameters={"AllowedLocationIds": "101,202"})
    stack = Stack.load(aws, "gw-dev", "eu-west-1")
    return stack, outputs


def run(aws, stack, web, page=PAGE):
    cloudfront = aws.client("cloudfront")
    return publish(
        aws.client("s3"),
        cloudfront,
        stack.outputs["SiteBucketName"],
        stack.distribution_id(cloudfront),
        web,
        page_config(stack, page),
    )


def objects(aws, bucket):
    s3 = aws.client("s3")
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def read(aws, bucket, key) -> bytes:
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def page_names():
    """web/'s page files, listed here without the publisher: everything but its README and config.json."""
    return {
        p.relative_to(WEB).as_posix()
        for p in WEB.rglob("*")
        if p.is_file() and p.name not in ("README.md", "config.json")
    }


def test_only_the_page_files_under_one_release_plus_index_and_config(aws, deployed, web):
    stack, _ = deployed
    done = run(aws, stack, web)
    release = f"v/{done.release}/"
    expected = {release + n for n in page_names() - {"index.html"}} | {
        "index.html",
        "config.json",
        "embed.js",
    }
    assert objects(aws, stack.outputs["SiteBucketName"]) == expected
    assert sorted(done.keys) == sorted(expected)
    assert {release + "app.js", release + "i18n/lv-LV.json", release + "styles.css"} <= expected
    assert not any("README" in k or ".DS_Store" in k or "test" in k or ".md" in k for k in expected)
    assert release + "config.json" not in expected  # web/config.json is the local stack's


def test_cache_control_and_content_type_of_every_object(aws, deployed, web):
    stack, _ = deployed
    bucket = stack.outputs["SiteBucketName"]
    run(aws, stack, web)
    s3 = aws.client("s3")
    for key in objects(aws, bucket):
        head = s3.head_object(Bucket=bucket, Key=key)
        suffix = key[key.rindex(".") :]
        assert head["ContentType"] == TYPES[suffix], key
        want = "no-cache" if key in ("index.html", "config.json", "embed.js") else ONE_YEAR_IMMUTABLE
        assert head["CacheControl"] == want, key
        if key.startswith("v/"):
            assert read(aws, bucket, key) == (WEB / key.split("/", 2)[2]).read_bytes()


def test_index_points_at_its_release_and_config_json_stays_at_the_root(aws, deployed, web):
    stack, _ = deployed
    bucket = stack.outputs["SiteBucketName"]
    done = run(aws, stack, web)
    html = aws.client("s3").get_object(Bucket=bucket, Key="index.html")["Body"].read().decode()
    refs = re.findall(r'(?:href|src)="([^":#]+)"', html)
    assert f'<script type="module" src="v/{done.release}/app.js"></script>' in html
    assert f'href="v/{done.release}/styles.css"' in html
    assert 'href="config.json"' in html  # the preload of the one file that is not versioned
    keys = objects(aws, bucket)
    assert refs and all(ref in keys for ref in refs), set(refs) - keys
    # The rest of index.html is as written.
    assert re.sub(rf"v/{done.release}/", "", html) == (WEB / "index.html").read_text()


def test_config_json_from_the_stack_outputs_and_parameters(aws, deployed, web):
    stack, _ = deployed
    run(aws, stack, web)
    body = read(aws, stack.outputs["SiteBucketName"], "config.json")
    # ApiUrl .../dev/api/v1 behind CloudFront's /api/* with origin path /dev: the page calls /api/v1.
    assert json.loads(body) == {
        "apiBase": "/api/v1",
        "bookform": 1,
        "locale": "lv-LV",
        "locations": {"101": {"name": "Studio Riga"}},
        "analytics": [],  # PageAnalyticsVendors not set: the CSP allows none
    }


def test_config_json_names_the_analytics_vendors_the_stack_allows(aws, web):
    deploy_stack(
        aws, "gw-ga", parameters={"AllowedLocationIds": "101", "PageAnalyticsVendors": "yandex,google"}
    )
    stack = Stack.load(aws, "gw-ga", "eu-west-1")
    assert page_config(stack, PAGE)["analytics"] == ["google", "yandex"]


def test_embed_js_also_at_the_root_for_partners(aws, deployed, web):
    """Partners' tags name one address for good (<SiteUrl>/embed.js); it frames the page next to it, the
    root's index.html, so it needs no release of its own."""
    stack, _ = deployed
    bucket = stack.outputs["SiteBucketName"]
    done = run(aws, stack, web)
    assert read(aws, bucket, "embed.js") == read(aws, bucket, f"v/{done.release}/embed.js")
    assert read(aws, bucket, "embed.js") == (WEB / "embed.js").read_bytes()
    assert "new URL('./', me.src)" in (WEB / "embed.js").read_text()
    run(aws, stack, web)  # a later publish does not take it for a leftover
    assert "embed.js" in objects(aws, bucket)


def test_config_json_for_a_location_must_name_an_allowed_one(aws, deployed, web):
    stack, _ = deployed
    run(aws, stack, web, PageSettings(location=202))
    body = read(aws, stack.outputs["SiteBucketName"], "config.json")
    assert json.loads(body) == {"apiBase": "/api/v1", "location": 202, "locale": "en-US", "analytics": []}
    with pytest.raises(DeployError, match=r"PAGE_LOCATION=303 is not among the stack's AllowedLocationIds"):
        page_config(stack, PageSettings(location=303))


def test_a_cloudfront_invalidation_of_the_paths_that_are_not_versioned(aws, deployed, web):
    stack, outputs = deployed
    done = run(aws, stack, web)
    cloudfront = aws.client("cloudfront")
    listed = cloudfront.list_invalidations(DistributionId=outputs["DistributionId"])["InvalidationList"]
    assert [i["Id"] for i in listed["Items"]] == [done.invalidation_id]
    batch = cloudfront.get_invalidation(DistributionId=outputs["DistributionId"], Id=done.invalidation_id)
    assert sorted(batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]) == [
        "/",
        "/config.json",
        "/embed.js",
        "/index.html",
    ]


def test_a_new_deploy_is_a_new_release_and_the_old_one_stays_for_open_pages(aws, deployed, web):
    stack, outputs = deployed
    bucket = stack.outputs["SiteBucketName"]
    first = run(aws, stack, web)
    assert run(aws, stack, web).release == first.release  # same files, same release
    (web / "dom.js").write_text((web / "dom.js").read_text() + "\n// changed\n")
    second = run(aws, stack, web)
    assert second.release != first.release
    keys = objects(aws, bucket)
    assert f"v/{first.release}/dom.js" in keys and f"v/{second.release}/dom.js" in keys
    s3 = aws.client("s3")
    assert read(aws, bucket, f"v/{first.release}/dom.js") == (WEB / "dom.js").read_bytes()
    html = s3.get_object(Bucket=bucket, Key="index.html")["Body"].read().decode()
    assert f"v/{second.release}/app.js" in html and first.release not in html
    listed = aws.client("cloudfront").list_invalidations(DistributionId=outputs["DistributionId"])
    assert listed["InvalidationList"]["Quantity"] == 3


def test_page_files_of_a_hand_made_sync_are_removed_other_objects_stay(aws, deployed, web):
    stack, _ = deployed
    bucket = stack.outputs["SiteBucketName"]
    s3 = aws.client("s3")
    for key in ("app.js", "README.md", "i18n/en-US.json", "logs/E2ABC.2026-12-01.gz"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"old")
    done = run(aws, stack, web)
    assert sorted(done.removed) == ["README.md", "app.js", "i18n/en-US.json"]
    keys = objects(aws, bucket)
    assert "logs/E2ABC.2026-12-01.gz" in keys
    assert not {"app.js", "README.md", "i18n/en-US.json"} & keys


def test_a_file_without_a_known_type_stops_the_publish_before_any_upload(aws, deployed, web):
    stack, _ = deployed
    (web / "logo.xyz").write_bytes(b"?")
    with pytest.raises(DeployError, match=r"web/logo.xyz: no Content-Type known"):
        run(aws, stack, web)
    assert objects(aws, stack.outputs["SiteBucketName"]) == set()


def test_index_referring_to_a_missing_file_stops_the_publish(tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text('<script type="module" src="gone.js"></script>')
    (web / "app.js").write_text("")
    assert set(page_files(web)) == {"index.html", "app.js"}
    with pytest.raises(DeployError, match=r"index.html refers to gone.js"):
        publish(None, None, "b", "d", web, {})


def test_the_distribution_is_found_by_the_site_url_without_an_output(aws, deployed):
    stack, outputs = deployed
    assert "SiteDistributionId" not in stack.outputs
    assert stack.distribution_id(aws.client("cloudfront")) == outputs["DistributionId"]
