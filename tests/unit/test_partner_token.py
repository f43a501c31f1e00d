"""partner_token.py: the partner token's provider."""

from __future__ import annotations

import boto3.session
from booking_gateway import container, partner_token


def test_the_provider_uses_the_containers_session_not_one_of_its_own(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")

    def no_session(*_, **__):
        raise AssertionError("a boto3 session of its own (~40 ms of a cold start)")

    monkeypatch.setattr(boto3.session, "Session", no_session)
    provider = container.get("partner_token.provider", partner_token._provider)
    assert provider.client.meta.service_model.service_name == "secretsmanager"
    assert "dynamo.session" in container._state  # built from (and kept in) the shared slot
