"""`Authorization: User <t>` and Altegio's `Bearer <anything>, User <t>`."""

import pytest
from booking_gateway import masking
from booking_gateway.user_auth import InvalidUserToken, parse_authorization, user_token_from

TOKEN = "8e88338d3149f7d8a281af25"


@pytest.mark.parametrize(
    "header",
    [
        f"User {TOKEN}",
        f"user {TOKEN}",
        f"Bearer their-partner-token, User {TOKEN}",
        f"Bearer x,User {TOKEN}",
        f"  Bearer x ,  User   {TOKEN}  ",
        f"User {TOKEN}, Bearer x",
    ],
)
def test_both_forms_give_the_user_token(header):
    assert user_token_from({"Authorization": header}) == TOKEN
    assert user_token_from({"authorization": header}) == TOKEN


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer only-partner"},
        {"Authorization": "Bearer sandbox-user-partner-token"},
        {"X-Other": "User abc"},
    ],
)
def test_no_user_part_is_a_guest(headers):
    assert user_token_from(headers) is None


@pytest.mark.parametrize(
    "header",
    [
        "User",
        "User ",
        "Bearer x, User",
        f"User {TOKEN}, User {TOKEN}",
        "User short",
        "User " + "a" * 600,
        "User tok;en12345",
        "Bearer x, User a b c d e f g h",
    ],
)
def test_a_malformed_user_part_is_refused(header):
    with pytest.raises(InvalidUserToken):
        parse_authorization(header)


def test_a_parsed_token_is_masked_in_logs_from_then_on():
    masking.clear_secrets()
    token = "tok-" + "9" * 4 + "-user-visible"
    assert parse_authorization(f"User {token}") == token
    assert token not in masking.mask_text(f"something about {token} happened")
