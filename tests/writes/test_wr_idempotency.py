"""POST book_record with an Idempotency-Key, through the local stack (and in-process for the edge cases)."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from wr_kit import (
    NEW_YORK,
    SERVICE,
    appointment,
    appointments_made,
    bookable_member,
    client,
    day,
    event_for,
    new_key,
    times,
)

from sandbox import FaultRule


def _booking(gw, n=1):
    when = day(gw, NEW_YORK, 1)
    member, free = bookable_member(gw, NEW_YORK, when)
    return {**client(n), "appointments": [appointment(member, free[0], 20011)]}


def test_twenty_concurrent_requests_with_one_key_make_one_booking(gw):
    body, key = _booking(gw), new_key()
    gw.sandbox.configure(latency_ms=150)  # the first booking is still in flight while the others arrive

    def post(_):
        return gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(post, range(20)))
    assert [r.status for r in replies] == [201] * 20, [(r.status, r.body) for r in replies if r.status != 201]
    assert len({json.dumps(r.json, sort_keys=True) for r in replies}) == 1  # everyone got the one answer
    assert len(appointments_made(gw)) == 1
    assert len([r for r in gw.bookings() if r["method"] == "POST"]) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in replies) == 19


def test_a_repeat_gets_the_stored_answer(gw):
    body, key = _booking(gw), new_key()
    first = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    again = gw.http(
        "POST",
        f"/book_record/{NEW_YORK}",
        body=dict(reversed(body.items())),
        headers={"Idempotency-Key": key},
    )  # same body, other key order
    assert first.status == again.status == 201
    assert again.json == first.json and again.headers["idempotent-replayed"] == "true"
    assert len(appointments_made(gw)) == 1


def test_a_different_body_with_the_same_key_is_refused(gw):
    body, key = _booking(gw), new_key()
    assert (
        gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key}).status == 201
    )
    other = gw.http(
        "POST",
        f"/book_record/{NEW_YORK}",
        body={**body, "comment": "changed"},
        headers={"Idempotency-Key": key},
    )
    assert other.status == 422 and "Idempotency-Key" in other.message
    assert len([r for r in gw.bookings() if r["method"] == "POST"]) == 1


def test_without_a_key_the_request_still_works(gw):
    body = _booking(gw)
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=body).status == 201
    second = gw.http("POST", f"/book_record/{NEW_YORK}", body=body)  # no key: a second real attempt
    assert second.status == 422 and 433 in second.codes
    assert len([r for r in gw.bookings() if r["method"] == "POST"]) == 2


def test_a_business_error_is_stored_too(gw):
    body, key = _booking(gw), new_key()
    assert gw.http("POST", f"/book_record/{NEW_YORK}", body=body).status == 201  # the slot is now taken
    first = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    again = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert first.status == again.status == 422 and 433 in again.codes
    assert again.headers["idempotent-replayed"] == "true"
    assert len([r for r in gw.bookings() if r["method"] == "POST"]) == 2


def test_still_in_progress_after_the_bound_is_409_with_retry_after(gw, monkeypatch):
    from booking_gateway import altegio_client, idempotency

    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    gw.sandbox.configure(faults=[FaultRule("hang", path="/book_record", methods=["POST"], hang_s=2.0)])
    body, key = _booking(gw), new_key()
    sending, real_call = threading.Event(), altegio_client.call

    def call(method, path, **kw):
        if method == "POST" and path.startswith("/book_record/"):
            sending.set()  # the first request holds the key and is on its way to Altegio
        return real_call(method, path, **kw)

    monkeypatch.setattr(altegio_client, "call", call)
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(
            gw.http, "POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key}
        )
        assert sending.wait(15)
        early = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
        first = slow.result()
    assert early.status == 409 and early.headers["retry-after"] == "1"
    assert first.status == 201, first.body
    later = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert later.status == 201 and later.json == first.json
    assert len(appointments_made(gw)) == 1


def test_nothing_sent_upstream_releases_the_key(gw):
    body, key = _booking(gw), new_key()
    gw.sandbox.configure(faults=[FaultRule("unauthorized", path="/book_record", methods=["POST"])])
    refused = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert refused.status == 502
    gw.sandbox.configure(faults=[])
    retried = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert retried.status == 201, retried.body
    assert "idempotent-replayed" not in retried.headers
    assert len(appointments_made(gw)) == 1


def test_the_key_is_scoped_by_api_key(gw):
    body, key = _booking(gw), new_key()
    mine = event_for(
        "book_record", f"/api/v1/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key}
    )
    theirs = json.loads(json.dumps(mine))
    theirs["requestContext"]["identity"]["apiKeyId"] = "another-partner"
    assert gw.invoke("book_record", mine).status == 201
    other = gw.invoke("book_record", theirs)
    assert other.status == 422 and 433 in other.codes  # not the first partner's answer (and record_hash)
    assert len([r for r in gw.bookings() if r["method"] == "POST"]) == 2


def test_a_malformed_key_is_refused(gw):
    reply = gw.http("POST", f"/book_record/{NEW_YORK}", body=_booking(gw), headers={"Idempotency-Key": "a b"})
    assert reply.status == 400
    assert gw.bookings() == [] or all(r["method"] != "POST" for r in gw.bookings())


def test_idempotency_store_down_refuses_the_booking_unsent(gw, monkeypatch):
    """A booking its key cannot protect is never sent (a retry could double it): 503 + Retry-After, and the
    same key books once the store is back."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from botocore.exceptions import EndpointConnectionError

    def down(self, *args, **kwargs):
        raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")

    body, key = _booking(gw), new_key()
    with monkeypatch.context() as outage:
        outage.setattr(DynamoDBPersistenceLayer, "_put_record", down)
        reply = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert reply.status == 503 and reply.headers["retry-after"].isdigit(), reply.body
    assert reply.json["success"] is False and "not made" in reply.json["meta"]["message"]
    assert appointments_made(gw) == [] and all(r["method"] != "POST" for r in gw.bookings())
    again = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert again.status == 201, again.body
    assert len(appointments_made(gw)) == 1


def test_a_key_that_exists_but_cannot_be_read_is_409_not_a_second_booking(gw, monkeypatch):
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyItemAlreadyExistsError
    from botocore.exceptions import EndpointConnectionError

    def exists(self, *args, **kwargs):
        raise IdempotencyItemAlreadyExistsError()

    def unreadable(self, *args, **kwargs):
        raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")

    monkeypatch.setattr(DynamoDBPersistenceLayer, "_put_record", exists)
    monkeypatch.setattr(DynamoDBPersistenceLayer, "_get_record", unreadable)
    reply = gw.http(
        "POST", f"/book_record/{NEW_YORK}", body=_booking(gw), headers={"Idempotency-Key": new_key()}
    )
    assert reply.status == 409 and reply.headers["retry-after"] == "1"
    assert appointments_made(gw) == []


def test_a_key_is_kept_for_a_day_then_it_is_new(gw, clock):
    """Powertools stamps and checks a record's expiry with datetime.now(): pinned with the layer's clock."""
    from booking_gateway import idempotency

    clock.pin_datetime()
    body, key = _booking(gw), new_key()

    def post():
        return gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})

    assert post().status == 201
    clock.advance(idempotency.EXPIRES_AFTER_SECONDS - 60)
    assert post().headers.get("idempotent-replayed") == "true"
    clock.advance(120)
    assert "idempotent-replayed" not in post().headers  # a new request: Altegio is asked again
    assert len([r for r in gw.bookings() if r["method"] == "POST"]) == 2


def _two_free_at_once(gw):
    """The first day from tomorrow, and its first time, at which two team members of New York are free (so
    "any" has a choice). Not always tomorrow: a member's day off, the holiday or a full day."""
    world, service = gw.sandbox.state.world, SERVICE[NEW_YORK]
    members = sorted(
        m.id for m in world.staff.values() if m.location_id == NEW_YORK and service in m.service_ids
    )
    for offset in range(1, 15):
        when, free = day(gw, NEW_YORK, offset), {}
        for member in members:
            url = f"/book_times/{NEW_YORK}/{member}/{when.isoformat()}?service_ids[]={service}"
            for slot in gw.upstream("GET", url).data or []:
                free.setdefault(slot["datetime"], []).append(member)
        shared = [t for t, at in free.items() if len(at) >= 2]
        if shared:
            slot = min(shared)
            for member in free[slot]:
                assert slot in times(gw, NEW_YORK, member, when)  # cached through the gateway
            return when, slot
    raise AssertionError("no day in two weeks with two New York team members free at once")


class _Stopped(BaseException):
    """Lambda's timeout: the invocation stops where it is; nothing after it runs, not even Powertools'
    clean-up of the key's INPROGRESS record (which ages out with the invocation's time)."""


def test_a_booking_whose_invocation_stopped_after_sending_is_never_sent_again(gw, clock, monkeypatch):
    """The key's lock ages out with a stopped invocation, so a retry would run the booking again: with "any
    team member" Altegio gives it another one (a double), with a named one a 433 for the visitor's own
    booking. The retry is the 504 of an unknown outcome instead, and the booked day's lists are bumped
    (the stopped invocation never did)."""
    from booking_gateway import forward

    clock.pin_datetime()
    when, slot = _two_free_at_once(gw)
    body = {**client(1), "appointments": [appointment(0, slot, SERVICE[NEW_YORK])]}
    event = event_for(
        "book_record", f"/api/v1/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": new_key()}
    )

    def stop(*_, **__):
        raise _Stopped  # Altegio has booked; the gateway is stopped before it bumps, stores or answers

    with monkeypatch.context() as timeout:
        timeout.setattr(forward, "invalidate_availability", stop)
        with pytest.raises(_Stopped):
            gw.invoke("book_record", event)
    [made] = appointments_made(gw)
    assert slot in times(gw, NEW_YORK, made["staff_id"], when, SERVICE[NEW_YORK])  # the cached list is old
    clock.advance(60)  # past the function's timeout: the lock has aged out
    again = gw.invoke("book_record", event)
    assert again.status == 504 and "look the booking up" in again.message.lower(), again.body
    assert len(appointments_made(gw)) == 1
    assert slot not in times(gw, NEW_YORK, made["staff_id"], when, SERVICE[NEW_YORK])
    replay = gw.invoke("book_record", event)
    assert replay.status == 504 and replay.headers.get("idempotent-replayed") == "true"
    assert len(appointments_made(gw)) == 1


def _marks_refused(monkeypatch, call: str) -> list[str]:
    """The idempotency store throttles `call` ("put_item" or "delete_item") on the sent marks only
    (Powertools' own records, which may go through the same client, pass); returns the marks refused."""
    from booking_gateway import dynamo, idempotency
    from botocore.exceptions import ClientError

    real, refused = dynamo.store_client(), []

    class Refusing:
        def __getattr__(self, name):
            real_call = getattr(real, name)
            if name != call:
                return real_call

            def refuse(**kwargs):
                item_id = (kwargs.get("Item") or kwargs.get("Key"))["id"]["S"]
                if not item_id.startswith(idempotency.SENT):
                    return real_call(**kwargs)
                refused.append(item_id)
                error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
                raise ClientError(error, name)

            return refuse

    monkeypatch.setattr(dynamo, "store_client", Refusing)
    return refused


def test_the_sent_mark_not_saved_does_not_refuse_the_booking(gw, monkeypatch):
    """The mark only protects a stopped invocation's retry: the table refusing it sends the booking anyway."""
    refused = _marks_refused(monkeypatch, "put_item")
    body, key = _booking(gw), new_key()
    first = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert first.status == 201, first.body
    assert len(refused) == 1
    again = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert again.status == 201 and again.headers["idempotent-replayed"] == "true"
    assert len(appointments_made(gw)) == 1


def test_a_booking_the_budget_refuses_at_the_send_leaves_no_mark(gw, monkeypatch):
    """The budget may refuse a turn gone stale right before the write (a starved CPU): nothing is sent, so
    nothing may be marked, or a mark the table would not take back makes the key's retry a 504 for a
    booking never made (hog run 2 on 5470c3d: test_load_bounded, DynamoDB throttled every other call)."""
    from booking_gateway import budget
    from booking_gateway.errors import BudgetExhausted

    real_sending, refused = budget.sending, []

    def stale_once(turn):
        if not refused:
            refused.append(turn)
            raise BudgetExhausted(1.0, "upstream call could not be sent on its budget turn")
        return real_sending(turn)

    monkeypatch.setattr(budget, "sending", stale_once)
    _marks_refused(monkeypatch, "delete_item")
    body, key = _booking(gw), new_key()
    first = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert first.status == 503 and "budget" in first.message and refused, first.body
    assert appointments_made(gw) == []
    again = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert again.status == 201, again.body
    assert len(appointments_made(gw)) == 1


def test_a_mark_put_late_in_the_invocation_is_still_taken_back(gw, clock, monkeypatch):
    """The one-minute load run (LONG=1, 2026-12-07): bookings waited long for the budget, their mark's put
    was throttled and took what the invocation had left, the turn went stale meanwhile, so nothing was
    sent; the mark's delete then found no time left (OutOfTime) and stayed, and each retry with the key was
    a 504 "its answer was lost" for a booking never made. Here the put takes all the time it is allowed."""
    from booking_gateway import deadline, dynamo, idempotency

    clock.pin_datetime()
    real = dynamo.store_client()

    class SlowMarks:
        def __getattr__(self, name):
            real_call = getattr(real, name)
            if name != "put_item":
                return real_call

            def slow(**kwargs):
                answer = real_call(**kwargs)
                if kwargs["Item"]["id"]["S"].startswith(idempotency.SENT):
                    clock.advance(max(0.0, deadline.left() - 0.1))  # the put's answer comes at its limit
                return answer

            return slow

    monkeypatch.setattr(dynamo, "store_client", SlowMarks)
    body, key = _booking(gw), new_key()
    first = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert first.status == 503 and appointments_made(gw) == [], first.body  # the turn went stale: not sent
    monkeypatch.setattr(dynamo, "store_client", lambda: real)
    again = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert again.status == 201, again.body
    assert len(appointments_made(gw)) == 1


def test_a_booking_with_too_little_time_left_at_its_send_is_not_sent(gw, clock, monkeypatch):
    """Less than MARK_MIN_LEFT at the send: no time to put the mark, read Altegio's answer and take the mark
    back. Nothing is marked or sent; the answer says so, and the same key books on the retry."""
    from booking_gateway import deadline, idempotency

    clock.pin_datetime()
    real_mark = idempotency._mark_sent

    def late(item_id, marked):
        clock.advance(max(0.0, deadline.left() - (idempotency.MARK_MIN_LEFT - 0.5)))
        return real_mark(item_id, marked)

    monkeypatch.setattr(idempotency, "_mark_sent", late)
    body, key = _booking(gw), new_key()
    first = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert first.status == 503 and "ran out of time" in first.message, first.body
    assert first.headers.get("retry-after") and appointments_made(gw) == []
    monkeypatch.setattr(idempotency, "_mark_sent", real_mark)
    again = gw.http("POST", f"/book_record/{NEW_YORK}", body=body, headers={"Idempotency-Key": key})
    assert again.status == 201 and len(appointments_made(gw)) == 1, again.body
