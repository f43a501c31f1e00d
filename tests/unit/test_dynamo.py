"""dynamo.py: low-level attribute helpers and error classification."""

from __future__ import annotations

from decimal import Decimal

import pytest
from booking_gateway import dynamo
from botocore.exceptions import ClientError


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "UpdateItem")


def test_attribute_helpers():
    assert dynamo.s("a") == {"S": "a"}
    assert dynamo.n(1.234567) == {"N": "1.2346"} and dynamo.n(3) == {"N": "3"}
    assert dynamo.n(Decimal("2.5")) == {"N": "2.5"}
    assert dynamo.num({"t": {"N": "7.5"}}, "t") == 7.5
    assert dynamo.num({}, "t") == 0.0 and dynamo.num({"t": {"S": "x"}}, "t", 9) == 9


@pytest.mark.parametrize(
    ("code", "throttled", "conditional"),
    [
        ("ProvisionedThroughputExceededException", True, False),
        ("ThrottlingException", True, False),
        ("ConditionalCheckFailedException", False, True),
        ("ResourceNotFoundException", False, False),
    ],
)
def test_errors_are_told_apart(code, throttled, conditional):
    assert dynamo.throttled(error(code)) is throttled
    assert dynamo.conditional_failed(error(code)) is conditional
