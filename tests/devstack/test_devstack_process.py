"""`python -m devstack` as `make dev` runs it: a real process tree, real HTTP, stopped with no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import boto3
import pytest
from devstack_testkit import KEY, PROJECT, Devstack, call, wait_gone

from devstack.template import ROOT
from sandbox import Sandbox, SandboxConfig

FORBIDDEN = {"success": False, "data": None, "meta": {"message": "Forbidden: send a valid x-api-key header."}}
NOT_FOUND = {
    "success": False,
    "data": None,
    "meta": {"message": "Not found: no such path or method (see /api/v1/openapi.json)."},
}


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    stack = Devstack(tmp_path_factory.mktemp("devstack"))
    kids = stack.tree()
    yield stack
    if stack.proc.poll() is None:
        stack.stop()
    assert not wait_gone(kids), "orphan processes left behind"


def test_make_dev_prints_where_everything_is(dev):
    s = dev.state
    out = dev.output()
    for line in (s["page_url"], s["api_base"], s["sandbox_url"], s["moto_url"], "local-dev-api-key-000000"):
        assert line in out
    assert set(s["children"]) == {"moto", "sandbox"}
    assert sorted(s["children"].values()) == sorted(dev.tree())  # exactly these children, nothing more


def test_make_dev_serves_the_page_and_the_api_over_http(dev):
    s = dev.state
    page = call(s["page_url"], "GET", "/")
    assert page.status == 200 and b"<html" in page.body and page.header("X-Frame-Options") == "DENY"
    r = call(s["api_base"], "GET", "/api/v1/book_staff/101")
    assert (r.status, r.json()) == (403, FORBIDDEN)  # template.yaml's GatewayResponses
    r = call(s["api_base"], "GET", "/api/v1/nothing", [("x-api-key", s["api_key"])])
    assert (r.status, r.json()) == (404, NOT_FOUND)
    assert "page GET / 200" in dev.output()  # one access-log line per request
    assert call(s["sandbox_url"], "GET", "/__admin/health").status == 200
    ddb = boto3.client("dynamodb", endpoint_url=s["moto_url"])
    assert set(ddb.list_tables()["TableNames"]) == {"CacheTable", "BudgetTable", "IdempotencyTable"}


def test_make_dev_answers_book_staff_end_to_end_and_caches_it(dev):
    s = dev.state
    r = call(s["page_url"], "GET", "/api/v1/book_staff/101", [("Accept", "application/vnd.api.v2+json")])
    assert r.status == 200, f"{r.status} {r.body[:300]!r}\n{dev.output()[-3000:]}"
    assert r.json()["success"] is True
    items = boto3.resource("dynamodb", endpoint_url=s["moto_url"]).Table("CacheTable").scan()["Items"]
    assert items, "no cache entry in moto's CacheTable"


def test_a_dead_child_is_restarted_with_its_resources(tmp_path):
    # Its own stack: the module's `dev` must keep the children its state names, whatever runs first.
    dev = Devstack(tmp_path)
    moto_pid = dev.state["children"]["moto"]
    os.kill(moto_pid, signal.SIGKILL)
    ddb = boto3.client("dynamodb", endpoint_url=dev.state["moto_url"])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            # The notice is printed once moto is back and provisioned: wait for both.
            if "CacheTable" in ddb.list_tables()["TableNames"] and "moto exited" in dev.output():
                break
        except Exception:  # noqa: BLE001 - not back yet
            pass
        time.sleep(0.1)
    else:
        raise AssertionError(dev.output())
    kids = dev.tree()
    assert moto_pid not in kids and len(kids) == 2
    dev.stop()
    assert not wait_gone(kids), "orphan processes left behind"


def test_ctrl_c_with_a_real_upstream_keeps_the_token_secret(tmp_path):
    token = "sandbox-partner-token"  # the sandbox stands in for the real Altegio here
    with Sandbox(SandboxConfig(rate_limit=False, partner_token=token)) as upstream:
        stack = Devstack(
            tmp_path,
            "--upstream",
            upstream.api_base,
            "--param",
            "AllowedLocationIds=101",
            env={"ALTEGIO_PARTNER_TOKEN": token},
        )
        s = stack.state
        kids = stack.tree()
        assert s["upstream"] == upstream.api_base and s["sandbox_url"] is None and len(kids) == 1  # moto only
        sm = boto3.client("secretsmanager", endpoint_url=s["moto_url"])
        secret = sm.get_secret_value(SecretId="local/altegio-partner-token")["SecretString"]
        assert json.loads(secret) == {"token": token}
        assert stack.stop(signal.SIGINT) == 0
        out = stack.output()
    assert token not in out and token not in json.dumps(s)
    assert "devstack stopped" in out and not (tmp_path / "state" / "state.json").exists()
    assert not wait_gone(kids)


def test_children_die_with_a_killed_supervisor(tmp_path):
    stack = Devstack(tmp_path, "--template", str(PROJECT / "template.yaml"), "--api-key", KEY)
    kids = stack.tree()
    assert len(kids) == 2
    stack.stop(signal.SIGKILL)
    assert not wait_gone(kids), "children outlived a SIGKILLed devstack"


def test_a_child_that_holds_on_to_sigterm_still_dies_with_its_supervisor():
    """A child busy finishing requests may take its SIGTERM slowly (or ignore it): the parent's death kills
    it all the same."""
    child = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('armed', flush=True); time.sleep(120)"
    )
    supervisor = (
        "import sys, time; from devstack import procs; "
        f"p = procs.spawn([sys.executable, '-c', {child!r}]); print(p.pid, flush=True); time.sleep(120)"
    )
    boss = subprocess.Popen([sys.executable, "-c", supervisor], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        said = {boss.stdout.readline().strip() for _ in range(2)}  # its pid, and the child (same pipe)
        assert "armed" in said, said
        kid = int(next(line for line in said if line.isdigit()))
        assert wait_gone([kid], timeout=0) == [kid]
        boss.send_signal(signal.SIGKILL)
        boss.wait(15)
        assert not wait_gone([kid]), "a child that ignores SIGTERM outlived its SIGKILLed supervisor"
    finally:
        boss.kill()
        boss.wait(15)


def test_upstream_without_token_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ALTEGIO_PARTNER_TOKEN"}
    r = subprocess.run(
        [sys.executable, "-m", "devstack", "--upstream", "https://example.invalid/api/v1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert r.returncode == 2 and "ALTEGIO_PARTNER_TOKEN" in r.stderr


def test_make_dev_points_the_sandboxs_webhooks_at_the_local_gateway(dev):
    s = dev.state
    masked = s["api_base"] + "/webhooks/altegio/***"
    assert s["webhooks"] == masked and f"webhooks  sandbox -> {masked}" in dev.output()
    hooks = call(s["sandbox_url"], "GET", "/__admin/webhooks").json()
    assert all(hooks["settings"][loc]["urls"] == [masked] for loc in ("101", "202"))
    # A change at the front desk reaches the gateway's webhook function, which keeps where the record is.
    body = json.dumps({"staff_id": 2021, "services": [20011], "datetime": "2031-01-06T06:00"}).encode()
    made = call(s["sandbox_url"], "POST", "/__admin/front_desk/202", body=body)
    assert made.status == 201, made.body
    deadline = time.monotonic() + 15
    while True:
        log = call(s["sandbox_url"], "GET", "/__admin/webhooks/log").json()["deliveries"]
        if any(e["outcome"] == "delivered" for e in log):
            break
        assert time.monotonic() < deadline, log
        time.sleep(0.05)
    assert [(e["attempt"], e["answer"], e["url"]) for e in log] == [(1, 200, masked)]
    ddb = boto3.client("dynamodb", endpoint_url=s["moto_url"])
    key = {"pk": {"S": f"pos#202#{made.json()['data']['id']}"}}
    assert "Item" in ddb.get_item(TableName="CacheTable", Key=key)
    assert dev.proc.poll() is None and call(s["sandbox_url"], "GET", "/__admin/health").status == 200
