"""json_body.py: a write's body is a JSON object of at most MAX_BODY_BYTES, else a clear 4xx, checked in
this order: content type, size, encoding, emptiness, JSON, object. Through the handlers:
tests/writes/test_wr_body.py."""

from __future__ import annotations

import base64

import pytest
from booking_gateway import json_body
from booking_gateway.errors import Rejected
from booking_gateway.write_models import MAX_BODY_BYTES


def event(body, content_type="application/json", encoded=False, multi=True) -> dict:
    headers = {"Accept": "*/*", "Idempotency-Key": "k1"}
    headers |= {"Content-Type": content_type} if content_type else {}
    return {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} if multi else None,
        "body": body,
        "isBase64Encoded": encoded,
    }


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (event('{"a": 1}', "text/plain"), 415, "Send the request body as JSON"),
        (event("a=1", "application/x-www-form-urlencoded"), 415, "Send the request body as JSON"),
        (event("x" * 10, "application/jsonp"), 415, "Send the request body as JSON"),
        (event("x" * (MAX_BODY_BYTES + 1)), 413, f"larger than {MAX_BODY_BYTES} bytes"),
        (event("!!not base64!!", encoded=True), 422, "must be UTF-8 JSON"),
        (event(base64.b64encode(b"\xff\xfe").decode(), encoded=True), 422, "must be UTF-8 JSON"),
        (event("  "), 422, "A JSON request body is required."),
        (event(None), 422, "A JSON request body is required."),
    ],
)
def test_a_body_that_is_not_json_text_is_refused_before_parsing(raw, status, message):
    refused = json_body.read(raw)
    assert isinstance(refused, Rejected) and refused.status == status and message in refused.message


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "", "a/b+json"]
)
def test_json_text_is_read_under_any_json_content_type(content_type):
    assert json_body.read(event('{"a": 1}', content_type)) == '{"a": 1}'


def test_a_base64_body_is_read_as_its_text():
    encoded = base64.b64encode('{"a": "é"}'.encode()).decode()
    assert json_body.read(event(encoded, encoded=True)) == '{"a": "é"}'


def test_parse_gives_the_object_or_the_refusal():
    assert json_body.parse('{"a": 1}', None) == {"a": 1}
    for text, message in (("{oops", "not valid JSON"), ("[1]", "must be a JSON object")):
        with pytest.raises(Rejected, match=message):
            json_body.parse(text, None)
    refused = Rejected(415, "no")
    with pytest.raises(Rejected) as raised:
        json_body.parse("{}", refused)
    assert raised.value is refused


@pytest.mark.parametrize("multi", [True, False])
def test_powertools_is_handed_plain_json_text_and_every_other_header_as_it_was(multi):
    encoded = base64.b64encode(b'{"a": 1}').decode()
    raw = event(encoded, "application/merge-patch+json", encoded=True, multi=multi)
    handed = json_body.as_json(raw, '{"a": 1}')
    assert (handed["body"], handed["isBase64Encoded"]) == ('{"a": 1}', False)
    assert handed["headers"] == {"Accept": "*/*", "Idempotency-Key": "k1", "Content-Type": "application/json"}
    if multi:
        assert handed["multiValueHeaders"]["Content-Type"] == ["application/json"]
        assert handed["multiValueHeaders"]["Idempotency-Key"] == ["k1"]
    else:  # Powertools reads header parameters from headers when there are no multi-value ones
        assert handed["multiValueHeaders"] is None
    assert raw["body"] != handed["body"]  # the caller's event is left as it came
