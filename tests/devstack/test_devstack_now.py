"""`make dev NOW=...` (`python -m devstack --now`): the sandbox's clock and demo pinned at that instant."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

from devstack_testkit import KEY, PROJECT, Devstack, call, wait_gone

from devstack.template import ROOT

NOW = "2027-03-28T01:30:00+02:00"  # Riga's spring-forward night
ALTEGIO = [("Accept", "application/vnd.api.v2+json"), ("Authorization", "Bearer sandbox-partner-token")]


def test_now_pins_the_sandbox_and_its_demo(tmp_path):
    stack = Devstack(tmp_path, "--now", NOW, "--template", str(PROJECT / "template.yaml"), "--api-key", KEY)
    kids = stack.tree()
    try:
        sandbox = stack.state["sandbox_url"]
        clock = call(sandbox, "GET", "/__admin/clock").json()
        assert clock["pinned"] is True and clock["frozen"] is False  # pinned there, moving on
        now = datetime.fromisoformat(clock["now"])
        start = datetime.fromisoformat(NOW)
        assert start <= now < start + timedelta(minutes=1), clock
        dates = call(sandbox, "GET", "/api/v1/book_dates/101", ALTEGIO).json()["data"]["booking_dates"]
        assert dates[0] >= "2027-03-28" and dates[0] < "2027-04-05", dates[:3]  # the demo built around NOW
    finally:
        stack.stop()
    assert not wait_gone(kids), "orphan processes left behind"


def _devstack(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "ALTEGIO_PARTNER_TOKEN": "x"},
        timeout=30,
    )


def test_a_now_without_offset_is_refused():
    done = _devstack("--now", "2027-03-28T01:30")
    assert done.returncode == 2 and "offset" in done.stderr


def test_now_with_a_real_upstream_is_refused():
    done = _devstack("--upstream", "https://example.invalid/api/v1", "--now", NOW)
    assert done.returncode == 2 and "--now" in done.stderr
