"""`python -m bench --smoke` runs end to end and its JSON holds every figure for every contender."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTENDERS = ("direct", "gateway", "gateway_webhooks", "nginx")
OPERATIONS_ALWAYS = (
    "bookform",
    "book_services",
    "book_staff",
    "book_staff_seances",
    "book_dates",
    "book_times",
)
NEEDS_NGINX = shutil.which("nginx") or os.path.exists("/usr/sbin/nginx") or os.geteuid() == 0


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.fixture(scope="module")
def smoke() -> tuple[dict, str]:
    if not NEEDS_NGINX:
        pytest.skip("nginx is not installed and we are not root (apt-get install -y nginx-light)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, f"bench --smoke failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    m = re.search(r"^JSON: (\S+)", done.stdout, re.M)
    assert m, done.stdout
    path = ROOT / m.group(1)
    results = json.loads(path.read_text())
    png = path.with_suffix(".png")
    assert png.exists() and png.stat().st_size > 10_000
    path.unlink()
    png.unlink()
    return results, done.stdout


def test_every_contender_has_every_figure(smoke):
    results, _ = smoke
    assert set(results["contenders"]) == set(CONTENDERS)
    for name in CONTENDERS:
        c = results["contenders"][name]
        assert "error" not in c, f"{name}: {c.get('error')}"
        for key in ("offered_rps", "served_rps", "requests", "failed", "failed_share"):
            assert _number(c[key]), (name, key)
        assert _number(c["failed_seen_by_visitors"]) and c["failed_seen_by_visitors"] <= c["failed"], name
        assert c["requests"] > 0, name
        assert isinstance(c["failed_by_status"], dict)
        for q in ("p50", "p95", "p99"):
            assert _number(c["latency_ms"][q]), (name, q)
        for op in OPERATIONS_ALWAYS:
            lat = c["latency_ms_by_operation"].get(op)
            assert lat and all(_number(lat[q]) for q in ("p50", "p95", "p99")), (name, op)
        up = c["upstream"]
        for key in ("busiest_second", "busiest_minute", "status_429", "requests", "per_client_request"):
            assert _number(up[key]), (name, key)
        assert up["requests"] > 0, name
        assert 0.0 <= c["cache"]["hit_ratio"] <= 1.0
        for key in ("slots_shown", "stale_slots_shown"):
            assert _number(c["slots"][key]), (name, key)
        assert c["slots"]["slots_shown"] > 0, name
        for key in ("attempts", "created", "conflicts_433"):
            assert _number(c["bookings"][key]), (name, key)
        # The front desk played the same plan beside every contender, straight at its sandbox, and the
        # stale-slot count replayed its changes.
        desk = c["front_desk"]
        assert desk["planned"] == results["front_desk"]["planned_actions"] > 0, (name, desk)
        assert desk["changes"] == desk["booked"] + desk["cancelled"] > 0 and desk["failed"] == 0, (name, desk)
        assert c["slots"]["external_changes"] == desk["changes"], name
        assert 0 <= c["slots"]["stale_from_external_changes"] <= c["slots"]["stale_slots_shown"], name
        tl = c["timeline"]
        assert len(tl["p50_ms"]) == len(tl["upstream"]) > 0
    # Nothing is cached on the direct path; the gateway marks its answers with X-Cache.
    assert results["contenders"]["direct"]["cache"]["hit_ratio"] == 0.0
    for gateway in ("gateway", "gateway_webhooks"):
        assert set(results["contenders"][gateway]["cache"]["by_status"]) & {"hit", "miss", "stale"}
    # Told of every front-desk change, the gateway applied them (its webhook function's own metric).
    assert results["contenders"]["gateway_webhooks"]["gateway_metrics"].get("WebhookApplied", 0) > 0


def test_ratios_cold_start_and_page(smoke):
    results, stdout = smoke
    for other in ("direct", "nginx"):
        r = results["ratios"][f"gateway_vs_{other}"]
        for key in ("latency_p50", "latency_p95", "latency_p99", "served_ratio", "upstream_ratio"):
            assert _number(r[key]), (other, key)
    cold = results["coldstart"]
    assert _number(cold["baseline"]["python_pass"]["wall_ms"])
    assert _number(cold["baseline"]["import_boto3"]["import_ms"])
    assert cold["functions"] and all(_number(v.get("import_ms")) for v in cold["functions"].values()), cold
    assert "built" in cold["layer"]
    page = results["page"]
    if shutil.which("chromium"):
        assert page["available"], page
        assert page["first_load"]["bytes_total"] > 0
        assert _number(page["cold_cache"]["first_bookable_day_ms"])
        assert _number(page["cold_cache"]["slots_shown_ms"])
        assert _number(page["cold_cache"]["tap_to_slots_ms"]) and _number(
            page["warm_cache"]["tap_to_slots_ms"]
        )
        assert _number(page["far_warm_cache"]["tap_to_slots_after_look_ms"])
    else:
        assert not page["available"] and page["note"]
    assert "served req/s" in stdout and "upstream busiest minute" in stdout
    assert "front-desk changes (book/cancel)" in stdout
