"""The page on the stack's bucket: a release the old one never mixes with.

- Modules, styles and strings go under `v/<release>/`, where the release is a hash of their contents,
  cached for a year as immutable. They import one another relatively (`./api.js`) and the strings by
  `import.meta.url`, so they only ever load from their own release.
- `index.html` (its references rewritten to that release) and `config.json` (written from the stack)
  are revalidated on every load (`no-cache`), and invalidated on CloudFront. So is `embed.js` at the root:
  partners' sites load it from one address (`<SiteUrl>/embed.js`), and it frames the page next to it.
- Old releases stay: a visitor mid-session keeps loading the modules of the page they opened.
- Page files only: not READMEs, tests or dotfiles; web/config.json is the local stack's, never uploaded.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from devstack.site import TYPES

from . import DeployError
from .settings import PageSettings
from .stack import Stack

RELEASES = "v/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
INDEX, CONFIG, EMBED = "index.html", "config.json", "embed.js"
INVALIDATE = ("/", f"/{INDEX}", f"/{CONFIG}", f"/{EMBED}")
ANALYTICS_VENDORS = ("google", "meta", "yandex")
_TEST_DIRS = {"test", "tests", "__tests__"}
_REF = re.compile(r"""(?P<attr>\b(?:href|src))=(?P<q>["'])(?P<url>.*?)(?P=q)""", re.I)


@dataclass(frozen=True)
class Published:
    release: str
    keys: list[str]  # every object written
    removed: list[str]  # leftovers of an older layout at the bucket's root
    invalidation_id: str


def page_files(web_dir: Path) -> dict[str, bytes]:
    """The page's files by path under web/: no dotfiles, Markdown, tests, or the local config.json."""
    files = {}
    for path in sorted(Path(web_dir).rglob("*")):
        rel = path.relative_to(web_dir)
        if not path.is_file() or _excluded(rel) or rel.as_posix() == CONFIG:
            continue
        if path.suffix.lower() not in TYPES:
            raise DeployError(f"web/{rel.as_posix()}: no Content-Type known for {path.suffix or 'no suffix'}")
        files[rel.as_posix()] = path.read_bytes()
    if INDEX not in files:
        raise DeployError(f"{web_dir} has no {INDEX}")
    return files


def _excluded(rel: Path) -> bool:
    name = rel.name.lower()
    return (
        any(part.startswith(".") for part in rel.parts)
        or any(part.lower() in _TEST_DIRS for part in rel.parts[:-1])
        or name.endswith(".md")
        or name.startswith("test_")
        or ".test." in name
        or ".spec." in name
    )


def release_id(files: dict[str, bytes]) -> str:
    """Same files, same release: a publish of unchanged files rewrites identical objects."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        if rel != INDEX:
            digest.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    return digest.hexdigest()[:16]


def rewrite_index(html: str, release: str, versioned: set[str]) -> str:
    """Point index.html's relative href/src at the release; config.json stays at the root."""

    def repl(m: re.Match) -> str:
        url = m.group("url")
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith(("/", "#")) or not parts.path:
            return m.group(0)
        path = str(PurePosixPath(parts.path))
        if path == CONFIG:
            return m.group(0)
        if path not in versioned:
            raise DeployError(f"{INDEX} refers to {url}, which is not among the page's files")
        return f"{m.group('attr')}={m.group('q')}{RELEASES}{release}/{url}{m.group('q')}"

    return _REF.sub(repl, html)


def page_config(stack: Stack, page: PageSettings) -> dict:
    """config.json: the API base as the page reaches it (CloudFront sends /api/* to the stage), the form
    or location, the language and the locations' display data."""
    api_path = urlsplit(stack.outputs["ApiUrl"]).path.rstrip("/")
    stage = stack.parameters.get("Stage", "")
    api_base = api_path.removeprefix(f"/{stage}") if stage else api_path
    allowed = {int(x) for x in stack.parameters.get("AllowedLocationIds", "").split(",") if x.isdigit()}
    if page.location is not None and allowed and page.location not in allowed:
        raise DeployError(
            f"PAGE_LOCATION={page.location} is not among the stack's AllowedLocationIds "
            f"({stack.parameters['AllowedLocationIds']})"
        )
    config: dict = {"apiBase": api_base}
    if page.bookform is not None:
        config["bookform"] = page.bookform
    if page.location is not None:
        config["location"] = page.location
    if not ("bookform" in config or "location" in config):
        raise DeployError("config.json needs PAGE_BOOKFORM or PAGE_LOCATION")
    config["locale"] = page.locale
    if page.locations:
        config["locations"] = page.locations
    # The analytics vendors the page's CSP allows (PageAnalyticsVendors): the page asks consent for no other.
    vendors = stack.parameters.get("PageAnalyticsVendors", "").split(",")
    config["analytics"] = [v for v in ANALYTICS_VENDORS if v in vendors]
    return config


def publish(s3, cloudfront, bucket: str, distribution_id: str, web_dir: Path, config: dict) -> Published:
    files = page_files(web_dir)
    release = release_id(files)
    versioned = {rel: body for rel, body in files.items() if rel != INDEX}
    index = rewrite_index(files[INDEX].decode("utf-8"), release, set(versioned)).encode("utf-8")
    keys = []
    # The release first, index.html last: a visitor never gets an index whose modules are not there yet.
    for rel, body in versioned.items():
        keys.append(_put(s3, bucket, f"{RELEASES}{release}/{rel}", body, IMMUTABLE))
    keys.append(_put(s3, bucket, CONFIG, json.dumps(config, indent=2).encode() + b"\n", REVALIDATE))
    if EMBED in files:  # self-contained: the stable address partners' tags use
        keys.append(_put(s3, bucket, EMBED, files[EMBED], REVALIDATE))
    keys.append(_put(s3, bucket, INDEX, index, REVALIDATE))
    removed = _remove_old_layout(s3, bucket)
    batch = {
        "Paths": {"Quantity": len(INVALIDATE), "Items": list(INVALIDATE)},
        "CallerReference": _caller_ref(release),
    }
    invalidation = cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch=batch)
    return Published(release, keys, removed, invalidation["Invalidation"]["Id"])


def _put(s3, bucket: str, key: str, body: bytes, cache_control: str) -> str:
    ctype = TYPES[PurePosixPath(key).suffix.lower()]
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=ctype, CacheControl=cache_control)
    return key


def _remove_old_layout(s3, bucket: str) -> list[str]:
    """Page files outside the releases (a hand-made `aws s3 sync web/`), which would otherwise stay
    reachable with their old caching; anything that is not a page file is left alone."""
    removed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.startswith(RELEASES) or key in (INDEX, CONFIG, EMBED):
                continue
            if PurePosixPath(key).suffix.lower() in (*TYPES, ".md"):
                removed.append(key)
    for start in range(0, len(removed), 1000):
        chunk = [{"Key": k} for k in removed[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
    return removed


def _caller_ref(release: str) -> str:
    return f"{release}-{uuid.uuid4().hex}"
