"""Secrets and personal data: the partner token never appears in a response, a log line or web/; phone
numbers, SMS codes, user tokens and record hashes never appear in clear in a log line.

The values come from the traffic itself (rel_kit.WATCH learns them from every request and answer of the
local API Gateway, all suites included), so the scan covers what was really sent, not a fixed list.
test_nothing_secret_leaked_anywhere runs last in the session (conftest.py moves it there).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from rel_kit import PARTNER_TOKEN, ROOT, SMS_CODE, WATCH, Watch, upstream_fault
from rel_ops import DEMO_PHONE, OPS, book_record, send

WEB = ROOT / "web"


def _text_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.stat().st_size < 5_000_000]


def test_web_files_hold_no_secret(rel):
    needles = {
        "the partner token": PARTNER_TOKEN,
        "the API key": rel.stack.api_key,
        "a bearer credential": "Bearer ",
        "an x-api-key header": "x-api-key",
    }
    hits = []
    for path in _text_files(WEB):
        text = path.read_bytes().decode("utf-8", "replace")
        hits += [f"{what} in {path.relative_to(ROOT)}" for what, needle in needles.items() if needle in text]
    assert not hits, "\n".join(hits)
    assert len(_text_files(WEB)) >= 5


def test_personal_data_stays_out_of_logs_when_things_fail(rel, demo):
    """The cabinet flow with phones, codes, user tokens and record hashes, once normally and once under
    each upstream fault that makes the gateway log an error; then this test's lines are scanned."""
    mark_root, mark_pt = len(WATCH.root_lines.lines), len(WATCH.powertools_lines.lines)
    flows = [
        "book_code",
        "user_auth",
        "booking_auth",
        "book_record_get",
        "user_records_get",
        "booking_user_data",
        "booking_user_phone_confirmation",
        "user_records_delete",
    ]
    for name in (None, "5xx", "malformed", "revoked"):
        reqs = [OPS[op].make(demo, 202) for op in flows] + [book_record(demo)]
        reqs.append(OPS["booking_user_put"].make(demo, 202))
        reqs[-1].body = {"phone": DEMO_PHONE, "confirmation_code": SMS_CODE}
        with upstream_fault(rel, name) if name else contextlib.nullcontext():
            replies = [_send(rel, r) for r in reqs]
        assert all(r.status < 500 or r.is_error_envelope for r in replies), [r.short() for r in replies]
    lines = list(WATCH.root_lines.lines)[mark_root:] + list(WATCH.powertools_lines.lines)[mark_pt:]
    assert len(lines) > 20, "the gateway logged (almost) nothing: the watch is not hooked"
    leaks = WATCH.leaks(lines)
    assert not leaks, "\n".join(leaks[:20])


def _send(rel, req):
    rel.reset_budget()
    return send(rel, req)


def test_the_scan_tells_a_path_id_from_a_secret_and_still_finds_a_leak():
    """Values sent in secret places are learnt; the same value as an id in a path is not a leak (a fuzzed
    team member id 999999, a phone-like id), nor is a word a fuzzer put in a hash's place ('__main__');
    the value in clear anywhere else, or a hash in its place in a path, still is."""
    watch = Watch()
    hashed = "0f3a9c2b7d1e4f5a8b6c0d2e4f6a8b0c"
    watch.learn_request(
        f"/api/v1/book_record/202/3000001/{hashed}", [], b'{"code": "999999", "phone": "6227020801"}'
    )
    watch.learn_request("/api/v1/book_record/202/3000002/__main__", [], b"")
    quiet = [
        ("devstack.access", "api  GET /api/v1/book_staff_seances/202/999999 200 12ms X-Cache=miss"),
        ("devstack.access", "api  GET /api/v1/book_staff/6227020801?service_ids[]=1 404 3ms X-Cache=-"),
        ("__main__", '{"logger": "__main__", "message": "started"}'),
        ("devstack.access", "api  GET /api/v1/book_record/202/3000001/*** 200 9ms X-Cache=-"),
    ]
    assert watch.leaks(quiet) == []
    leaking = [
        ("booking-gateway", '{"message": "code check", "code": "999999"}'),
        ("booking-gateway", "sms sent to 6227020801"),
        ("devstack.access", f"api  GET /api/v1/book_record/202/3000001/{hashed} 200 9ms X-Cache=-"),
        ("booking-gateway", f'{{"error": "no record {hashed}"}}'),
    ]
    assert len(watch.leaks(leaking)) == len(leaking), watch.leaks(leaking)


def test_nothing_secret_leaked_anywhere():
    """Moved to the end of the session: every log line and response of the whole run."""
    assert WATCH.responses_seen > 0, "the watch saw no response: it is not installed"
    assert not WATCH.partner_token_hits, "partner token in responses:\n" + "\n".join(
        WATCH.partner_token_hits[:20]
    )
    lines = WATCH.all_lines()
    assert lines, "no log line was collected"
    token_lines = [f"[{name}] {line[:300]}" for name, line in lines if PARTNER_TOKEN in line]
    assert not token_lines, "partner token in log lines:\n" + "\n".join(token_lines[:20])
    leaks = WATCH.leaks()
    assert not leaks, f"{len(leaks)} log lines with personal data or secrets in clear:\n" + "\n".join(
        leaks[:30]
    )
    print(
        f"\nscanned {len(lines)} log lines and {WATCH.responses_seen} responses for {len(WATCH.secrets)} "
        f"values (dropped lines: {WATCH.root_lines.dropped + WATCH.powertools_lines.dropped})"
    )
