"""The plain-cache contender: Debian's nginx with proxy_cache in front of the sandbox.

The off-the-shelf setup a user might pick instead of the gateway: it adds the partner token, caches
GETs with the gateway's freshness per operation, coalesces misses (proxy_cache_lock) and serves
stale copies on errors, 429s and while refreshing (proxy_cache_use_stale, background update). It has
no shared upstream budget and no invalidation when a booking changes availability.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from .procs import Child, wait_http
from .settings import ACCEPT, PARTNER_TOKEN, ROOT

# Freshness per operation, in seconds: the gateway's own table (booking_gateway/operations.py), so both
# caches keep an answer equally long; these values are the fallback if that table cannot be read.
FALLBACK_TTL = {
    "bookform": 600,
    "i18n": 3600,
    "privacy_policy": 3600,
    "book_services": 60,
    "book_staff": 60,
    "book_staff_seances": 20,
    "book_dates": 30,
    "book_times": 15,
}


def gateway_ttl() -> dict[str, int]:
    layer = str(ROOT / "layers" / "common")
    if layer not in sys.path:
        sys.path.append(layer)
    try:
        from booking_gateway.operations import POLICIES
    except Exception:  # the layer moved or changed: same values as when this was written
        return dict(FALLBACK_TTL)
    return {op: int(p.fresh) for op, p in POLICIES.items()}


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def ensure_nginx(log=print) -> str:
    """nginx from Debian; installed with apt-get when we are root, else a clear message."""
    found = find_nginx()
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError(
            "the plain-cache contender needs nginx: run 'sudo apt-get install -y nginx-light' and try again"
        )
    log("installing nginx-light with apt-get (plain-cache contender) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nginx-light"]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()[-500:]}")
    found = find_nginx()
    if not found:
        raise RuntimeError("apt-get installed nginx-light but no nginx binary was found")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(workdir: Path, port: int, upstream_port: int, ttl: dict[str, int]) -> str:
    proxy = f"""
            proxy_pass http://altegio;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Authorization "Bearer {PARTNER_TOKEN}";
            proxy_set_header Accept "{ACCEPT}";
            proxy_cache altegio;
            proxy_cache_key $request_uri;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 10s;
            proxy_cache_lock_age 10s;
            proxy_cache_use_stale error timeout updating http_429 http_500 http_502 http_503 http_504;
            proxy_cache_background_update on;
            proxy_read_timeout 15s;
            add_header X-Cache-Status $upstream_cache_status always;"""
    groups = "".join(
        f"""
        location /api/v1/{op}/ {{{proxy}
            proxy_cache_valid 200 {seconds}s;
        }}"""
        for op, seconds in ttl.items()
    )
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    return f"""{user}
worker_processes 1;
daemon off;
master_process on;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    proxy_cache_path {workdir}/cache levels=1:2 keys_zone=altegio:10m max_size=200m inactive=30m
                     use_temp_path=off;
    upstream altegio {{
        server 127.0.0.1:{upstream_port};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        {groups}
        location /api/v1/ {{{proxy}
            proxy_cache_valid 200 0s;
        }}
    }}
}}
"""


class NginxProcess:
    def __init__(self, upstream_url: str, ttl: dict[str, int] | None = None, log=print):
        binary = ensure_nginx(log)
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        self.workdir.chmod(0o777)  # the workers (nobody) write the cache and temp files
        port = free_port()
        upstream_port = int(upstream_url.rsplit(":", 1)[1].split("/")[0])
        conf = self.workdir / "nginx.conf"
        self.ttl = ttl or gateway_ttl()
        conf.write_text(config(self.workdir, port, upstream_port, self.ttl))
        check = subprocess.run([binary, "-t", "-p", str(self.workdir), "-c", str(conf)], capture_output=True)
        if check.returncode:
            raise RuntimeError(f"nginx rejected its config: {check.stderr.decode()[-800:]}")
        self.child = Child("nginx", [binary, "-p", str(self.workdir), "-c", str(conf)])
        self.url = f"http://127.0.0.1:{port}"
        self.api_base = self.url + "/api/v1"
        wait_http(self.url + "/", 10)

    def stop(self) -> None:
        self.child.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
