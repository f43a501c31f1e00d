"""Admin endpoints over HTTP, the masked request log, and the sandbox as its own process."""

import json
import logging
import signal

import urllib3
from sandbox_testkit import appointment, book, first_slot, local_day, send_code, spawn_sandbox


def admin(sb, method, name, body=None, query=""):
    r = urllib3.request(
        method, f"{sb.url}/__admin/{name}{query}", body=None if body is None else json.dumps(body)
    )
    return r.status, r.json()


def test_health_and_index(sb):
    assert admin(sb, "GET", "health")[1]["status"] == "ok"
    index = urllib3.request("GET", sb.url + "/").json()
    assert index["api_base"] == sb.api_base and "/__admin/ledger" in index["admin"]


def test_config_endpoint_sets_knobs_and_rejects_unknown_ones(api, sb):
    status, body = admin(
        sb,
        "POST",
        "config",
        {
            "latency_ms": 5,
            "faults": [{"kind": "error", "status": 503}],
            "revoked_tokens": ["x"],
            "rate_limit": False,
        },
    )
    assert status == 200 and body["config"]["faults"][0]["status"] == 503
    assert api.send("GET", "/bookform/1").status == 503
    assert admin(sb, "POST", "config", {"nope": 1})[0] == 400
    assert admin(sb, "POST", "config", {"faults": [{"kind": "explode"}]})[0] == 400
    assert admin(sb, "POST", "config", {"rate_limit": "yes"})[0] == 400
    assert admin(sb, "GET", "config")[1]["config"]["latency_ms"] == 5
    admin(sb, "POST", "reset", {"config": True})
    assert api.send("GET", "/bookform/1").status == 200


def test_ledger_holds_requests_and_every_appointment(api, sb):
    slot = first_slot(api, 202, 2021, [20011], local_day(sb, 202, 1))
    item = book(api, 202, [appointment(slot, 2021, [20011])], phone="+12125550180").data.root[0]
    api.call("delete_user_appointment", f"/user/records/{item.record_id}/{item.record_hash}")
    _, ledger = admin(sb, "GET", "ledger")
    last = ledger["requests"][-1]
    assert {"seq", "time", "client_ip", "method", "path", "status"} <= last.keys()
    assert (last["method"], last["status"], last["client_ip"]) == ("DELETE", 200, "127.0.0.1")
    assert item.record_hash not in json.dumps(ledger) and last["path"].endswith("/***")
    mine = next(a for a in ledger["appointments"] if a["record_id"] == item.record_id)
    assert mine["deleted"] is True and mine["demo"] is False and "+12125550180" not in json.dumps(mine)
    assert sum(a["demo"] for a in ledger["appointments"]) > 50
    newer = admin(sb, "GET", "ledger", query=f"?since={last['seq'] - 1}&appointments=0")[1]
    assert [r["seq"] for r in newer["requests"]] == [last["seq"]] and "appointments" not in newer


def test_reset_restores_the_seeded_demo(api, sb):
    before = len(sb.appointments())
    slot = first_slot(api, 202, 2021, [20011], local_day(sb, 202, 1))
    book(api, 202, [appointment(slot, 2021, [20011])])
    status, body = admin(sb, "POST", "reset")
    assert status == 200 and body["appointments"] == before
    assert admin(sb, "GET", "ledger")[1]["requests"] == []


def test_same_seed_same_demo_other_seed_other_demo(sb):
    from sandbox import Sandbox, SandboxConfig

    now = "2026-03-02T09:00:00+00:00"
    shapes = []
    for seed in (1, 1, 2):
        demo = Sandbox(SandboxConfig(seed=seed, now=now))
        shapes.append([(a["staff_id"], a["datetime"]) for a in demo.appointments()])
    assert shapes[0] == shapes[1] != shapes[2]


def test_sms_admin_lookup(api, sb):
    send_code(api, 101, "+37120000190")
    assert admin(sb, "GET", "sms", query="?phone=%2B37120000190")[1]["code"] == "123456"


def test_request_log_masks_personal_data(api, sb, caplog):
    token = api.call(
        "authorize_online_booking_user", "/booking/auth", body={"login": "demo", "password": "sandbox-pass"}
    ).data.user_token
    with caplog.at_level(logging.INFO, logger="sandbox"):
        api.call(
            "send_phone_update_verification_code",
            "/booking/user/phone_confirmation",
            query={"company_id": 101, "phone": "+37120000191"},
            user=token,
        )
        api.call("get_online_booking_details", "/book_record/101/3000001/0123456789abcdef")
    lines = "\n".join(r.getMessage() for r in caplog.records)
    assert "+37120000191" not in lines and "37120000191" not in lines and "0123456789abcdef" not in lines
    assert "/book_record/101/3000001/***" in lines and "GET" in lines


def test_runs_as_its_own_process_and_stops_on_sigterm():
    proc = spawn_sandbox("--port", "0", "--no-rate-limit", "--latency-ms", "0")
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:")
        url = line.split()[-1]
        headers = {"Accept": "application/vnd.api.v2+json", "Authorization": "Bearer sandbox-partner-token"}
        assert urllib3.request("GET", url + "/api/v1/bookform/2", headers=headers).status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "GET /api/v1/bookform/2 200" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
