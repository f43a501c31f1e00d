"""Writes: SMS code, check, booking with every error code, record view, reschedule, cancel, race."""

import logging
import threading
from datetime import datetime, timedelta

from sandbox_testkit import appointment, book, first_slot, local_day, send_code, times, user_token

RIGA, NEW_YORK = 101, 202
PHONE = "+37120000777"


def ny_slot(api, sb, staff_id=2021, services=(20011,), days=1):
    return first_slot(api, NEW_YORK, staff_id, list(services), local_day(sb, NEW_YORK, days))


def test_book_code_sends_a_logged_code_and_checks_the_phone(api, sb, caplog):
    with caplog.at_level(logging.INFO, logger="sandbox"):
        send_code(api, RIGA, PHONE)
    sms_lines = [r.getMessage() for r in caplog.records if "SMS code" in r.getMessage()]
    assert sms_lines and sms_lines[0].endswith("123456") and PHONE not in sms_lines[0]
    assert sb.sms_code(PHONE) == "123456"
    bad = api.call("send_booking_verification_code", "/book_code/101", body={"phone": "12ab"})
    assert (bad.status, bad.codes) == (422, [431])


def test_random_sms_codes_when_none_is_configured(api, sb):
    sb.configure(sms_code=None)
    send_code(api, RIGA, PHONE)
    code = sb.sms_code(PHONE)
    assert code and len(code) == 6 and code.isdigit()


def test_book_check_accepts_a_free_set(api, sb):
    first = ny_slot(api, sb)
    later = times(api, NEW_YORK, 2021, first.datetime.date(), [20011])[-1]
    answer = api.call(
        "validate_booking_params",
        "/book_check/202",
        body={"appointments": [appointment(first, 2021, [20011], 1), appointment(later, 0, [20011], 2)]},
    )
    assert answer.status == 201
    assert answer.json == {"success": True, "data": None, "meta": {"message": "Created"}}


def test_book_check_error_codes(api, sb):
    slot = ny_slot(api, sb)
    day = local_day(sb, NEW_YORK, 1)
    night = f"{day.isoformat()}T03:00:00"
    cases = [
        ([appointment(slot, 2021, [20099])], 438),  # removed from online booking
        ([{"id": 1, "services": [], "staff_id": 2021, "datetime": slot.datetime.isoformat()}], 422),
        ([{"id": 1, "services": [20011], "staff_id": 2021, "datetime": night}], 433),  # outside hours
        ([appointment(slot, 2021, [20011], 1), appointment(slot, 2023, [20011], 2)], 437),
    ]
    for appointments, code in cases:
        answer = api.call("validate_booking_params", "/book_check/202", body={"appointments": appointments})
        assert (answer.status, answer.codes) == (422, [code]), appointments
        assert answer.json["meta"]["message"] == "An error has occurred"
    taken = book(api, NEW_YORK, [appointment(slot, 2021, [20011])])
    assert taken.status == 201
    again = api.call(
        "validate_booking_params",
        "/book_check/202",
        body={"appointments": [appointment(slot, 2021, [20011])]},
    )
    assert again.codes == [433] and "2021" in again.error.meta.errors[0].message


def full_day(api, sb, location_id, services):
    """The demo's fully booked day: working, but no free time (from tomorrow: today may be over)."""
    today = local_day(sb, location_id, 1)
    dates = api.call(
        "get_dates_available_for_booking",
        f"/book_dates/{location_id}",
        query=[
            *[("service_ids[]", s) for s in services],
            ("date_from", today.isoformat()),
            ("date_to", (today + timedelta(days=8)).isoformat()),
        ],
    ).data
    return sorted(set(dates.working_dates) - set(dates.booking_dates))[0]


def busy_moment(api, sb, location_id, service_id):
    """A time on the fully booked day when someone who provides the service is working."""
    day = full_day(api, sb, location_id, [service_id])
    member = next(
        m
        for m in sb.state.world.staff.values()
        if m.location_id == location_id and service_id in m.service_ids and m.windows_on(day)
    )
    return datetime.combine(day, member.windows_on(day)[0][0]).isoformat()


def test_any_member_when_everyone_is_busy_is_436(api, sb):
    body = {
        "appointments": [
            {"id": 7, "services": [20011], "staff_id": 0, "datetime": busy_moment(api, sb, 202, 20011)}
        ]
    }
    answer = api.call("validate_booking_params", "/book_check/202", body=body)
    assert (answer.status, answer.codes) == (422, [436])
    assert answer.json["meta"]["errors"][0]["id"] == 7


def test_book_record_error_codes(api, sb):
    slot = ny_slot(api, sb)
    good = [appointment(slot, 2021, [20011])]
    cases = [
        (dict(phone="12345"), 422, 431),
        (dict(phone="+1 000 000 0000"), 403, 434),  # blacklisted (HTTP 403)
        (dict(name=""), 422, 435),
        (dict(appointments=[appointment(slot, 2021, [20099])]), 422, 438),
        (
            dict(appointments=[appointment(slot, 2021, [20011], 1), appointment(slot, 0, [20011], 2)]),
            422,
            437,
        ),
    ]
    for overrides, status, code in cases:
        args = {"appointments": good, **overrides}
        answer = book(api, NEW_YORK, args.pop("appointments"), **args)
        assert (answer.status, answer.codes) == (status, [code]), overrides
    assert book(api, NEW_YORK, good).status == 201
    taken = book(api, NEW_YORK, good, phone="+12125550100")
    assert (taken.status, taken.codes) == (422, [433])
    moment = busy_moment(api, sb, NEW_YORK, 20011)
    busy = book(api, NEW_YORK, [{"id": 1, "services": [20011], "staff_id": 0, "datetime": moment}])
    assert (busy.status, busy.codes) == (422, [436])


def test_sms_code_is_required_where_the_form_says_so(api, sb):
    slot = first_slot(api, RIGA, 1011, [10011], local_day(sb, RIGA, 1))
    appts = [appointment(slot, 1011, [10011])]
    assert book(api, RIGA, appts, code="123456").codes == [432]  # no code was sent to this phone
    send_code(api, RIGA, PHONE)
    assert book(api, RIGA, appts, code="654321").codes == [432]
    assert book(api, RIGA, appts).codes == [432]
    assert book(api, RIGA, appts, code="123456").status == 201
    assert book(api, NEW_YORK, [appointment(ny_slot(api, sb), 2021, [20011])]).status == 201  # no SMS there


def test_booking_takes_the_slot_and_the_record_can_be_viewed(api, sb):
    slot = ny_slot(api, sb, staff_id=2024, days=2)
    answer = book(
        api,
        NEW_YORK,
        [appointment(slot, 2024, [20011], 5)],
        email="v@example.com",
        comment="hi",
        api_id="ext-1",
        notify_by_sms=2,
    )
    item = answer.data.root[0]
    assert answer.json["meta"] == [] and item.id == 5 and len(item.record_hash) == 32
    day = slot.datetime.date()
    assert slot.time not in {s.time for s in times(api, NEW_YORK, 2024, day, [20011])}
    view = api.call("get_online_booking_details", f"/book_record/202/{item.record_id}/{item.record_hash}")
    record = view.data
    assert record.datetime == slot.datetime and record.staff.id == 2024 and record.master_requested
    assert (record.comment, record.api_id, record.notify_by_sms, record.deleted) == ("hi", "ext-1", 2, False)
    assert record.company.timezone in ("-5", "-4") and record.company.currency_short_title == "USD"
    assert view.json["data"]["datetime"][-5:] in ("-0500", "-0400")  # colon-less, as Altegio's records
    assert record.services[0].seance_length == 3600 and record.length == 3600
    wrong = api.call("get_online_booking_details", f"/book_record/202/{item.record_id}/{'0' * 32}")
    assert wrong.status == 404
    assert (
        api.call("get_online_booking_details", f"/book_record/101/{item.record_id}/{item.record_hash}").status
        == 404
    )
    sb.configure(unwrapped=True)
    bare = api.call("get_online_booking_details", f"/book_record/202/{item.record_id}/{item.record_hash}")
    assert bare.json["id"] == item.record_id and "success" not in bare.json


def test_any_member_booking_picks_a_free_one(api, sb):
    slot = ny_slot(api, sb, staff_id=0)
    answer = book(api, NEW_YORK, [appointment(slot, 0, [20011])])
    item = answer.data.root[0]
    record = api.call(
        "get_online_booking_details", f"/book_record/202/{item.record_id}/{item.record_hash}"
    ).data
    assert record.master_requested is False and record.staff.id in (2021, 2023, 2024)


def test_reschedule_needs_the_owner_and_a_free_slot(api, sb):
    phone = "+12125550111"
    slots = times(api, NEW_YORK, 2021, ny_slot(api, sb).datetime.date(), [20011])
    first, second = slots[0], slots[-1]
    item = book(api, NEW_YORK, [appointment(first, 2021, [20011])], phone=phone).data.root[0]
    path = f"/book_record/202/{item.record_id}"
    body = {"datetime": second.datetime.isoformat(), "comment": "moved"}
    assert api.call("update_online_booking_datetime", path, body=body).status == 401  # partner only
    stranger = user_token(api, phone="+12125550999")
    assert api.call("update_online_booking_datetime", path, body=body, user=stranger).status == 403
    token = user_token(api, phone=phone)
    moved = api.call("update_online_booking_datetime", path, body=body, user=token)
    assert (
        moved.status == 200 and moved.data.staff.spec == "Massage therapist" and moved.data.comment == "moved"
    )
    left = {s.time for s in times(api, NEW_YORK, 2021, first.datetime.date(), [20011])}
    assert first.time in left and second.time not in left
    other = book(api, NEW_YORK, [appointment(first, 2021, [20011])], phone="+12125550222")
    assert other.status == 201
    clash = api.call(
        "update_online_booking_datetime", path, body={"datetime": first.datetime.isoformat()}, user=token
    )
    assert (clash.status, clash.codes) == (422, [433])


def test_cancel_by_hash_or_by_owner_brings_the_slot_back(api, sb):
    slot = ny_slot(api, sb, staff_id=2023)
    day = slot.datetime.date()
    item = book(api, NEW_YORK, [appointment(slot, 2023, [20011])], phone="+12125550111").data.root[0]
    assert slot.time not in {s.time for s in times(api, NEW_YORK, 2023, day, [20011])}
    assert api.call("delete_user_appointment", f"/user/records/{item.record_id}/{'f' * 32}").status == 404
    gone = api.call("delete_user_appointment", f"/user/records/{item.record_id}/{item.record_hash}")
    assert gone.status == 200 and gone.json["success"] is True
    assert slot.time in {s.time for s in times(api, NEW_YORK, 2023, day, [20011])}
    assert (
        api.call("delete_user_appointment", f"/user/records/{item.record_id}/{item.record_hash}").status
        == 404
    )
    # The owner needs no hash.
    again = book(api, NEW_YORK, [appointment(slot, 2023, [20011])], phone="+12125550111").data.root[0]
    token = user_token(api, phone="+12125550111")
    assert api.call("delete_user_appointment", f"/user/records/{again.record_id}/0", user=token).status == 200
    cancelled = [a for a in sb.appointments() if a["record_id"] in (item.record_id, again.record_id)]
    assert [a["deleted"] for a in cancelled] == [True, True]


def test_past_records_cannot_be_cancelled(api, sb):
    login = api.call(
        "authorize_online_booking_user", "/booking/auth", body={"login": "demo", "password": "sandbox-pass"}
    )
    records = api.call("get_user_appointment_list", "/user/records/0/0", user=login.data.user_token).data.root
    past = next(r for r in records if r.attendance == 1)
    answer = api.call("delete_user_appointment", f"/user/records/{past.id}/0", user=login.data.user_token)
    assert answer.status == 403


def test_twenty_concurrent_bookings_of_one_slot_one_wins(api, sb):
    slot = ny_slot(api, sb, staff_id=2021, days=3)
    start = threading.Barrier(20)
    results: list[tuple[int, list[int]]] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        start.wait()
        answer = book(api, NEW_YORK, [appointment(slot, 2021, [20011])], phone=f"+1212555{n:04d}")
        with lock:
            results.append((answer.status, answer.codes))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(s for s, _ in results) == [201] + [422] * 19
    assert all(codes == [433] for status, codes in results if status == 422)
    held = [
        a for a in sb.appointments() if a["staff_id"] == 2021 and a["datetime"] == slot.datetime.isoformat()
    ]
    assert len(held) == 1 and not held[0]["deleted"]
