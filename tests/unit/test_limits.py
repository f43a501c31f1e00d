"""limits.py on moto's DynamoDB and the fake clock: SMS codes per phone (one per interval, N an hour) and
per visitor, wrong codes that lock a phone (and a visitor), what is given back, races that never overshoot."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import pytest
from booking_gateway import caller, dynamo, limits

PHONE = "+371 2000-0001"
VIEWER, EDGE = "203.0.113.24", "130.176.1.10"


@dataclass
class Answer:  # what forward.send returns, as far as the limits look
    status: int
    body: str = "{}"
    outcome: str = "done"


SENT = Answer(201, '{"success":true,"data":null,"meta":{"message":"Created"}}')
WRONG = Answer(
    422, json.dumps({"success": False, "data": None, "meta": {"message": "x", "errors": [{"code": 432}]}})
)
RIGHT = Answer(201, '{"user_token":"t"}')


@pytest.fixture
def table(ddb, settings_env):
    settings_env(PAGE_API_KEY_ID="pagekey001", ORIGIN_VERIFY_SECRET_ID="")
    caller._current.set(caller.Caller())  # no visitor unless a test binds one
    return ddb


def visit(address: str = VIEWER, key_id: str = "pagekey001") -> None:
    caller.bind(
        {
            "headers": {"X-Forwarded-For": f"{address}, {EDGE}"},
            "requestContext": {"identity": {"sourceIp": EDGE, "apiKeyId": key_id}},
        }
    )


def send_code(phone: str = PHONE, answer: Answer = SENT) -> None:
    with limits.sms(phone) as guard:
        guard.settle(answer)


def refused(action) -> limits.Limited:
    with pytest.raises(limits.Limited) as caught:
        action()
    return caught.value


def test_one_code_per_minute_per_phone_whatever_its_spelling(table, clock):
    send_code("+371 2000-0001")
    again = refused(lambda: send_code("37120000001"))
    assert again.retry_after == 60 and "try again in 60 seconds" in again.message
    clock.advance(59)
    assert refused(send_code).retry_after == 1
    clock.advance(1)
    send_code()


def test_the_sixth_code_within_an_hour_waits_for_the_first_to_age_out(table, clock):
    for _ in range(5):
        send_code()
        clock.advance(61)
    sixth = refused(send_code)
    assert sixth.retry_after == 3600 - 5 * 61 and "5 an hour" in sixth.message
    assert "try again in 55 minutes" in sixth.message
    clock.advance(sixth.retry_after)
    send_code()


def test_a_code_that_was_never_sent_is_given_back(table, clock):
    send_code(answer=Answer(503, outcome="not_sent"))  # the budget refused it
    send_code(answer=Answer(422))  # Altegio refused it (e.g. the phone's format)
    with pytest.raises(RuntimeError), limits.sms(PHONE):
        raise RuntimeError("the request failed before an answer")
    send_code(answer=Answer(504, outcome="unknown"))  # may have been sent: counted
    assert refused(send_code).retry_after == 60


def test_one_visitor_gets_ten_codes_an_hour_across_phones(table, clock):
    visit()
    for n in range(10):
        send_code(f"+3712000{n:04d}")
    eleventh = refused(lambda: send_code("+37129999999"))
    assert "from your address" in eleventh.message and eleventh.retry_after == 3600
    visit("198.51.100.77")  # another visitor is not held up
    send_code("+37129999999")


def test_partners_are_held_per_phone_only(table, clock):
    visit(key_id="partner01")
    for n in range(12):
        send_code(f"+3712000{n:04d}")
    assert refused(lambda: send_code("+37120000000")).retry_after == 60


def test_wrong_codes_lock_the_phone_and_the_lock_expires(table, clock):
    for _ in range(4):
        with limits.code_check(PHONE) as guard:
            guard.settle(WRONG)
        clock.advance(10)
    with limits.code_check(PHONE) as guard:  # the fifth wrong code locks it
        guard.settle(WRONG)
    locked = refused(lambda: limits.code_check("37120000001").__enter__())
    assert locked.retry_after == 900 and "locked" in locked.message and "15 minutes" in locked.message
    clock.advance(899)
    assert refused(lambda: limits.code_check(PHONE).__enter__()).retry_after == 1
    clock.advance(1)
    with limits.code_check(PHONE) as guard:  # the lock is over and the count starts again
        guard.settle(WRONG)
    for _ in range(3):
        with limits.code_check(PHONE) as guard:
            guard.settle(WRONG)


def test_a_right_code_resets_the_phone_but_not_the_visitor(table, clock):
    visit()
    for _ in range(4):
        with limits.code_check(PHONE) as guard:
            guard.settle(WRONG)
    with limits.code_check(PHONE) as guard:
        guard.settle(RIGHT)
    for _ in range(4):  # four wrong codes again: still not locked
        with limits.code_check(PHONE) as guard:
            guard.settle(WRONG)
    with limits.code_check(PHONE) as guard:
        guard.settle(Answer(502, outcome="unknown"))  # neither right nor wrong: given back
    # The visitor has 8 wrong codes; two more on other phones lock the visitor.
    for phone in ("+37120000002", "+37120000003"):
        with limits.code_check(phone) as guard:
            guard.settle(WRONG)
    spray = refused(lambda: limits.code_check("+37120000004").__enter__())
    assert "from your address" in spray.message and spray.retry_after == 900


def test_a_booking_without_a_code_is_not_a_code_check(table, clock):
    for _ in range(10):
        with limits.code_check(PHONE, code_sent=False) as guard:
            guard.settle(WRONG)
    with limits.code_check(PHONE) as guard:
        guard.settle(RIGHT)


def test_wrong_passwords_lock_the_login(table, clock):
    for _ in range(5):
        with limits.password_check("Someone@Example.com ") as guard:
            guard.settle(Answer(404))
    locked = refused(lambda: limits.password_check("someone@example.com").__enter__())
    assert "wrong passwords for this login" in locked.message
    with limits.password_check("+37120000001") as guard:  # another login is not held up
        guard.settle(Answer(201))


def test_concurrent_wrong_codes_cannot_all_go_out_before_the_first_answer(table, clock):
    guards = [limits.code_check(PHONE) for _ in range(5)]
    for guard in guards:
        guard.__enter__()  # five attempts in flight, none answered yet
    assert refused(lambda: limits.code_check(PHONE).__enter__()).retry_after > 0
    for guard in guards:
        guard.settle(WRONG)
    assert refused(lambda: limits.code_check(PHONE).__enter__()).retry_after == 900


def test_a_lost_race_reads_again_and_cannot_take_the_last_place(table, clock, monkeypatch):
    real = dynamo.client()
    raced = []

    class Racing:
        def __getattr__(self, name):
            return getattr(real, name)

        def transact_write_items(self, **kwargs):
            if not raced:  # between our read and our write, another request takes the only place
                raced.append(True)
                send_code()
            return real.transact_write_items(**kwargs)

    monkeypatch.setattr(dynamo, "client", lambda: Racing())
    assert refused(send_code).retry_after == 60
    assert raced


def test_threads_together_never_overshoot(table, clock, settings_env):
    from tests.gateway.gw_kit import make_moto_dynamodb_atomic

    make_moto_dynamodb_atomic()  # each DynamoDB write atomic, as the real one
    settings_env(CODE_PHONE_INTERVAL_SECONDS=0, CODE_PHONE_PER_HOUR=5)
    start, results = threading.Barrier(12), []

    def one():
        start.wait()
        try:
            send_code()
            results.append("sent")
        except limits.Limited:
            results.append("refused")

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("sent") == 5 and results.count("refused") == 7


def test_counters_are_keyed_by_a_hash_and_expire(table, clock):
    send_code()
    (item,) = table.scan(TableName="UnitBudgetTable")["Items"]
    assert item["pk"]["S"].startswith("lim#sms-phone#") and "20000001" not in json.dumps(item)
    assert float(item["expires_at"]["N"]) == pytest.approx(clock.now() + 3600 + 60, abs=1)


def test_a_failing_table_does_not_fail_the_request(table, clock, settings_env):
    settings_env(BUDGET_TABLE="NoSuchTable")
    send_code()
    send_code()  # not limited: the limits step aside (and say so in the log)


def test_the_429_carries_its_model_only_in_the_openapi_document(monkeypatch):
    monkeypatch.delenv("GATEWAY_OPENAPI_MODELS", raising=False)
    assert "content" not in limits.documented({})[429]  # run time: no upstream_models import
    monkeypatch.setenv("GATEWAY_OPENAPI_MODELS", "1")
    from booking_gateway.upstream_models import ErrorEnvelope

    assert limits.documented({200: {}})[429]["content"]["application/json"]["model"] is ErrorEnvelope
