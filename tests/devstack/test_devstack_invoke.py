"""`python -m devstack.invoke` (make invoke): in-process against make dev's stack or an ephemeral one;
`sam local invoke` when a container runtime answers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

from devstack_testkit import KEY, PROJECT, Devstack

from devstack import invoke
from devstack.template import ROOT

EVENT = PROJECT / "events" / "echo.json"


def run_invoke(*args: str, state_dir) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "devstack.invoke",
        *args,
        "--template",
        str(PROJECT / "template.yaml"),
        "--state-dir",
        str(state_dir),
        "--in-process",
    ]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_invoke_starts_an_ephemeral_stack_when_make_dev_is_not_running(tmp_path):
    r = run_invoke("EchoFunction", str(EVENT), state_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)  # stdout holds the result alone
    assert result["statusCode"] == 200
    body = json.loads(result["body"])
    assert body["event"]["pathParameters"] == {"id": "7"}
    assert body["env"]["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert body["env"]["UPSTREAM"].endswith("/api/v1") and body["env"]["TABLE"] == "ThingsTable"
    assert "ephemeral" in r.stderr


def test_invoke_uses_the_running_make_dev(tmp_path):
    dev = Devstack(tmp_path, "--template", str(PROJECT / "template.yaml"), "--api-key", KEY)
    try:
        r = run_invoke("EchoFunction", str(EVENT), state_dir=dev.state_dir)
        assert r.returncode == 0, r.stderr
        env = json.loads(json.loads(r.stdout)["body"])["env"]
        assert env["AWS_ENDPOINT_URL"] == dev.state["moto_url"]
        assert env["UPSTREAM"] == dev.state["sandbox_url"] + "/api/v1"
        assert "using make dev's stack" in r.stderr
    finally:
        dev.stop()


def test_invoke_reports_errors_like_lambda(tmp_path):
    r = run_invoke("ExplodeFunction", str(EVENT), state_dir=tmp_path)
    assert r.returncode == 1
    assert json.loads(r.stdout)["errorType"] == "RuntimeError"
    r = run_invoke("NoSuchFunction", str(EVENT), state_dir=tmp_path)
    assert r.returncode == 2 and "EchoFunction" in r.stderr


def test_invoke_hands_over_to_sam_when_a_container_runtime_answers(monkeypatch):
    calls = []
    monkeypatch.setattr(invoke, "container_runtime", lambda: True)
    monkeypatch.setattr(invoke, "sam_command", lambda: "/opt/sam")
    monkeypatch.setattr(invoke.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    template = str(PROJECT / "template.yaml")
    assert invoke.main(["EchoFunction", str(EVENT), "--template", template]) == 0
    assert invoke.main(["OpenApiFunction", str(EVENT)]) == 0
    assert calls == [
        ["/opt/sam", "local", "invoke", "EchoFunction", "-e", str(EVENT), "-t", template],
        ["/opt/sam", "local", "invoke", "OpenApiFunction", "-e", str(EVENT)],  # sam finds .aws-sam/build
    ]


def test_past_dates_move_ahead_by_whole_weeks():
    text = json.dumps(
        {
            "path": "/api/v1/book_times/101/0/2026-11-26",
            "body": json.dumps({"datetime": "2026-11-27T10:00:00-05:00", "id": 20261126}),
            "requestContext": {"requestTime": "25/Nov/2026:09:30:00 +0000"},
        }
    )
    today = date(2026, 12, 3)
    moved, weeks = invoke.move_past_dates(text, today)
    assert weeks == 2
    event = json.loads(moved)
    assert event["path"].endswith("/2026-12-10")  # a Thursday still, and after today
    assert json.loads(event["body"]) == {"datetime": "2026-12-11T10:00:00-05:00", "id": 20261126}
    assert event["requestContext"]["requestTime"] == "25/Nov/2026:09:30:00 +0000"
    assert invoke.move_past_dates(moved, today) == (moved, 0)  # nothing past: as it was


def test_every_event_file_is_sent_with_dates_to_come(tmp_path):
    """The events in events/ are fixed files; make invoke keeps them bookable as time passes."""
    today = date.today()
    for path in sorted((ROOT / "events").glob("*.json")):
        moved, _ = invoke.move_past_dates(path.read_text(), today)
        dates = [date.fromisoformat(d) for d in re.findall(r"(?<!\d)\d{4}-\d\d-\d\d(?!\d)", moved)]
        assert all(d > today for d in dates), (path.name, dates)
