"""caller.py: the caller class from the API key id, and the visitor's address from X-Forwarded-For, read
from the right and trusted only for what came through CloudFront."""

from __future__ import annotations

import pytest
from booking_gateway import caller
from moto import mock_aws

PAGE_KEY_ID = "pagekey001"
VIEWER, EDGE = "203.0.113.24", "130.176.1.10"


def event(forwarded: str | list[str] | None, source: str = EDGE, key_id: str | None = PAGE_KEY_ID, **headers):
    lines = [forwarded] if isinstance(forwarded, str) else forwarded or []
    hdrs = {**({"X-Forwarded-For": lines[-1]} if lines else {}), **headers}
    multi = {k: [v] for k, v in headers.items()}
    if lines:
        multi["X-Forwarded-For"] = lines
    return {
        "headers": hdrs,
        "multiValueHeaders": multi,
        "requestContext": {"identity": {"sourceIp": source, "apiKeyId": key_id}},
    }


@pytest.fixture
def page_key(settings_env):
    settings_env(PAGE_API_KEY_ID=PAGE_KEY_ID, ORIGIN_VERIFY_SECRET_ID="")


def test_the_class_is_the_page_a_partner_key_or_anonymous(page_key):
    assert caller.of_event(event(None)).klass == "page"
    assert caller.of_event(event(None, key_id="abc123")).klass == "key:abc123"
    assert caller.of_event(event(None, key_id=None)).klass == "anonymous"
    assert caller.current().klass == "anonymous"  # outside a request
    caller.bind(event(None, key_id="abc123"))
    assert caller.current().is_partner


def test_the_page_visitor_is_the_address_cloudfront_appended(page_key):
    assert caller.of_event(event(f"{VIEWER}, {EDGE}")).visitor == VIEWER


def test_forged_leading_entries_do_not_change_the_visitor(page_key):
    forged = caller.of_event(event(f"1.2.3.4, 5.6.7.8, {VIEWER}, {EDGE}")).visitor
    assert forged == VIEWER
    # Several header lines are one list, in order: the last line's last entries still decide.
    assert caller.of_event(event(["9.9.9.9", f"{VIEWER}, {EDGE}"])).visitor == VIEWER


def test_without_a_second_entry_or_with_junk_the_connection_address_counts(page_key):
    assert caller.of_event(event(EDGE)).visitor == EDGE
    assert caller.of_event(event(f"not-an-ip, {EDGE}")).visitor == EDGE
    assert caller.of_event(event(None, source="192.0.2.7")).visitor == "192.0.2.7"


def test_requests_without_the_page_key_are_counted_by_their_own_address(page_key):
    # Straight to the API with a leaked or invented key: X-Forwarded-For is the caller's to write.
    assert caller.of_event(event(f"{VIEWER}, 192.0.2.50", source="192.0.2.50", key_id=None)).visitor == (
        "192.0.2.50"
    )


def test_partners_have_no_visitor(page_key):
    assert caller.of_event(event(f"{VIEWER}, {EDGE}", key_id="partner1")).visitor is None


def test_ipv6_visitors_count_by_their_64(page_key):
    one = caller.of_event(event(f"2001:db8:1:2::1, {EDGE}")).visitor
    other = caller.of_event(event(f"2001:db8:1:2:ffff::9, {EDGE}")).visitor
    assert one == other == "2001:db8:1:2::/64"
    assert caller.of_event(event(f"::ffff:{VIEWER}, {EDGE}")).visitor == VIEWER


@pytest.mark.parametrize(
    ("stored", "sent", "trusted"),
    [
        ("s3cret-value-0123456789", "s3cret-value-0123456789", True),
        ('{"value": "s3cret-value-0123456789"}', "s3cret-value-0123456789", True),
        ("s3cret-value-0123456789", "s3cret-value-012345678X", False),
        ("s3cret-value-0123456789", None, False),
    ],
)
def test_with_an_origin_secret_only_requests_carrying_it_are_trusted(settings_env, stored, sent, trusted):
    settings_env(PAGE_API_KEY_ID=PAGE_KEY_ID, ORIGIN_VERIFY_SECRET_ID="origin-verify")
    with mock_aws():
        import boto3

        boto3.client("secretsmanager").create_secret(Name="origin-verify", SecretString=stored)
        headers = {"X-Origin-Verify": sent} if sent else {}
        visitor = caller.of_event(event(f"{VIEWER}, {EDGE}", **headers)).visitor
    assert visitor == (VIEWER if trusted else EDGE)


def test_an_unreadable_origin_secret_trusts_nobody(settings_env):
    settings_env(PAGE_API_KEY_ID=PAGE_KEY_ID, ORIGIN_VERIFY_SECRET_ID="missing-secret")
    with mock_aws():
        visitor = caller.of_event(event(f"{VIEWER}, {EDGE}", **{"X-Origin-Verify": "x"})).visitor
    assert visitor == EDGE


def test_the_origin_secret_is_read_without_a_boto3_session_of_its_own(settings_env, monkeypatch):
    import boto3.session

    settings_env(PAGE_API_KEY_ID=PAGE_KEY_ID, ORIGIN_VERIFY_SECRET_ID="origin-verify")
    with mock_aws():
        boto3.client("secretsmanager").create_secret(Name="origin-verify", SecretString="s3cret-value-0123")

        def no_session(*_, **__):
            raise AssertionError("a boto3 session of its own (~40 ms of a first request)")

        monkeypatch.setattr(boto3.session, "Session", no_session)
        visitor = caller.of_event(
            event(f"{VIEWER}, {EDGE}", **{"X-Origin-Verify": "s3cret-value-0123"})
        ).visitor
    assert visitor == VIEWER
