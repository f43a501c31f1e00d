"""envelope.py: Altegio's {success, data, meta} for the gateway's answers; Altegio's own passed unchanged."""

from __future__ import annotations

import json

from booking_gateway.altegio_client import UpstreamResponse
from booking_gateway.envelope import envelope, error_body, error_response, upstream_response


def test_success_and_error_envelopes():
    assert envelope([1]) == {"success": True, "data": [1], "meta": []}
    assert envelope(None, {"message": "Created"}) == {
        "success": True,
        "data": None,
        "meta": {"message": "Created"},
    }
    assert error_body("No") == {"success": False, "data": None, "meta": {"message": "No"}}
    errors = [{"parameter": "date", "message": "bad"}]
    assert error_body("No", errors)["meta"] == {"message": "No", "errors": errors}


def test_an_error_response_is_json_with_its_headers_and_text_kept_readable():
    resp = error_response(503, "Budget spent — retry", headers={"Retry-After": "2"})
    assert (resp.status_code, resp.content_type, resp.headers["Retry-After"]) == (
        503,
        "application/json",
        "2",
    )
    assert "—" in resp.body and json.loads(resp.body)["meta"]["message"] == "Budget spent — retry"


def test_altegios_answer_passes_unchanged_with_only_retry_after_of_its_headers():
    up = UpstreamResponse(
        429, b'{"success":false}', {"retry-after": "3", "server": "nginx", "set-cookie": "x=1"}
    )
    resp = upstream_response(up, {"X-Cache": "miss"})
    assert (resp.status_code, resp.body) == (429, '{"success":false}')
    assert resp.headers["retry-after"] == "3" and resp.headers["X-Cache"] == "miss"
    assert not {"server", "set-cookie"} & {k.lower() for k in resp.headers}
