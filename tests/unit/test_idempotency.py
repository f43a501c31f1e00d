"""idempotency.py's pure parts: the Idempotency-Key header and who is asking. Replays end to end:
tests/writes/test_wr_idempotency.py."""

from __future__ import annotations

import pytest
from booking_gateway.errors import Rejected
from booking_gateway.idempotency import caller_of, key_from


@pytest.mark.parametrize(
    ("header", "key"),
    [(None, None), ("", None), ("abc-123", "abc-123"), (' "abc" ', "abc"), ("x" * 255, "x" * 255)],
)
def test_a_key_is_printable_ascii_and_may_be_quoted(header, key):
    assert key_from(header) == key


@pytest.mark.parametrize("header", ["two words", "x" * 256, "kéy", "tab\tkey"])
def test_other_keys_are_a_400(header):
    with pytest.raises(Rejected) as info:
        key_from(header)
    assert info.value.status == 400


def test_the_caller_is_the_api_key_never_the_key_in_clear():
    assert caller_of({"requestContext": {"identity": {"apiKeyId": "k1", "apiKey": "secret"}}}) == "key-id:k1"
    by_key = caller_of({"requestContext": {"identity": {"apiKey": "secret-key"}}})
    assert by_key.startswith("key:") and "secret-key" not in by_key
    assert by_key == caller_of({"requestContext": {"identity": {"apiKey": "secret-key"}}})
    assert caller_of({}) == caller_of({"requestContext": {"identity": None}}) == "anonymous"


def test_the_store_uses_the_containers_client_for_it(monkeypatch):
    import boto3.session
    from booking_gateway import dynamo, idempotency

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "unit-idempotency")
    given: dict = {}

    class Spy(idempotency.DynamoDBPersistenceLayer):
        def __init__(self, **kwargs):
            given.update(kwargs)
            super().__init__(**kwargs)

    def no_session(*_, **__):
        raise AssertionError("a boto3 session of its own (~40 ms of the first booking)")

    monkeypatch.setattr(idempotency, "DynamoDBPersistenceLayer", Spy)
    monkeypatch.setattr(boto3.session, "Session", no_session)
    idempotency._runner()
    assert given["boto3_client"] is dynamo.store_client()
    assert given["table_name"] == "unit-idempotency"
