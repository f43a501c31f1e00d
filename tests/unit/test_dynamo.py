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


class _Context:
    """A Lambda context that tells its remaining time from the test's clock."""

    def __init__(self, clock, seconds: float):
        self.clock, self.ends = clock, clock.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self.ends - self.clock.monotonic()) * 1000)


CONTEXTLESS = "client's own"


class _Wire:
    """Stands in for DynamoDB behind the client's own hooks: records each attempt's read timeout and
    answers it (`stall`: as a read timeout, which botocore retries once)."""

    def __init__(self, stall: bool = False):
        self.timeouts: list[float | None] = []
        self.stall = stall

    def __call__(self, request, **_):
        from botocore.awsrequest import AWSResponse
        from botocore.exceptions import ReadTimeoutError

        # botocore before request contexts (the python3.13 runtime's 1.40.4): each attempt keeps CONFIG's
        # read timeout, and only the nothing-left refusal below bounds it
        self.timeouts.append(getattr(request, "context", {}).get("read_timeout", CONTEXTLESS))
        if self.stall:
            raise ReadTimeoutError(endpoint_url=request.url)
        raw = type("Raw", (), {"stream": lambda self, **_: iter([b"{}"])})()
        return AWSResponse(request.url, 200, {"x-amzn-requestid": "unit"}, raw)


def _wired(monkeypatch, wire):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unit")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unit")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    client = dynamo.client()
    client.meta.events.register("before-send.dynamodb", wire)  # after the guard's own hook
    return client


def test_each_attempt_reads_only_until_the_invocation_must_answer(clock, monkeypatch):
    from booking_gateway import deadline

    wire = _Wire()
    client = _wired(monkeypatch, wire)
    client.get_item(TableName="t", Key={"pk": {"S": "a"}})
    assert wire.timeouts[0] in (None, CONTEXTLESS)  # outside an invocation: the client's own timeouts
    with deadline.invocation(_Context(clock, 15.0)):
        client.get_item(TableName="t", Key={"pk": {"S": "a"}})
        clock.advance(15.0 - deadline.MARGIN - 0.5)  # 0.5 s left
        client.get_item(TableName="t", Key={"pk": {"S": "a"}})
        clock.advance(0.45)
        with pytest.raises(dynamo.OutOfTime):
            client.get_item(TableName="t", Key={"pk": {"S": "a"}})
    if wire.timeouts[1] != CONTEXTLESS:  # a botocore whose attempts carry a context: each one is cut
        assert wire.timeouts[1] == dynamo.CONFIG.read_timeout
        assert wire.timeouts[2] == pytest.approx(0.5)
    assert len(wire.timeouts) == 3  # nothing sent without time for it
    assert isinstance(dynamo.OutOfTime(reason="x"), dynamo.Unavailable)


def test_calls_made_while_keeping_time_end_that_much_sooner(clock, monkeypatch):
    from booking_gateway import deadline

    wire = _Wire()
    _wired(monkeypatch, wire)
    client = dynamo.store_client()  # the sent mark's: asked again after the OutOfTime below
    client.meta.events.register("before-send.dynamodb", wire)
    with deadline.invocation(_Context(clock, 15.0)):
        clock.advance(15.0 - deadline.MARGIN - 2.5)  # 2.5 s left
        with deadline.keeping(2.0):
            assert deadline.left() == pytest.approx(0.5)
            client.get_item(TableName="t", Key={"pk": {"S": "a"}})
            clock.advance(0.45)
            with pytest.raises(dynamo.OutOfTime):  # the 2 s kept are not its to spend
                client.get_item(TableName="t", Key={"pk": {"S": "a"}})
        assert deadline.left() == pytest.approx(2.05)  # ... but the clean-up's after it
        client.get_item(TableName="t", Key={"pk": {"S": "a"}})
    if wire.timeouts[0] != CONTEXTLESS:
        assert wire.timeouts[0] == pytest.approx(0.5) and wire.timeouts[1] == dynamo.CONFIG.read_timeout
    assert len(wire.timeouts) == 2
    with deadline.keeping(2.0):  # outside an invocation: nothing to keep
        assert deadline.left() is None


def test_a_stalled_table_is_not_asked_again_in_the_same_invocation(clock, monkeypatch):
    from booking_gateway import deadline

    wire = _Wire(stall=True)
    client = _wired(monkeypatch, wire)
    with deadline.invocation(_Context(clock, 15.0)):
        with pytest.raises(dynamo.Unavailable):
            client.get_item(TableName="t", Key={"pk": {"S": "a"}})
        assert len(wire.timeouts) == 2  # botocore's one retry
        with pytest.raises(dynamo.OutOfTime):
            dynamo.stamp_client().get_item(TableName="t", Key={"pk": {"S": "a"}})
        assert len(wire.timeouts) == 2  # failed at once, nothing sent
    wire.stall = False
    with deadline.invocation(_Context(clock, 15.0)):  # the next invocation tries again
        client.get_item(TableName="t", Key={"pk": {"S": "a"}})
    assert len(wire.timeouts) == 3


def test_the_idempotency_store_is_still_asked_after_a_stall(clock, monkeypatch):
    from booking_gateway import deadline

    wire = _Wire(stall=True)
    _wired(monkeypatch, wire)
    store = dynamo.store_client()
    store.meta.events.register("before-send.dynamodb", wire)
    with deadline.invocation(_Context(clock, 15.0)):
        with pytest.raises(dynamo.Unavailable):
            dynamo.client().get_item(TableName="t", Key={"pk": {"S": "a"}})
        wire.stall = False
        store.get_item(TableName="t", Key={"pk": {"S": "a"}})  # saving a booking's answer is worth a try
        with pytest.raises(dynamo.OutOfTime):
            dynamo.client().get_item(TableName="t", Key={"pk": {"S": "a"}})
    assert len(wire.timeouts) == 3


def test_every_client_comes_from_one_session_that_never_lists_botocore_data(monkeypatch):
    import os

    from botocore.exceptions import UnknownServiceError

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    listed: list[str] = []
    real_listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path=".": listed.append(str(path)) or real_listdir(path))
    session = dynamo.session()
    built = [dynamo.client(), dynamo.stamp_client(), dynamo.store_client()]
    secrets = session.create_client("secretsmanager")
    assert dynamo.session() is session and len({id(c) for c in built}) == 3
    assert {c.meta.service_model.service_name for c in built} == {"dynamodb"}
    assert secrets.meta.service_model.service_name == "secretsmanager"
    # Only the asked services' own folders (their API versions) are read, never the list of every service.
    assert {os.path.basename(p) for p in listed} <= set(dynamo.SERVICES), listed
    with pytest.raises(UnknownServiceError):
        session.create_client("s3")  # not one the layer calls
