"""Sign-in and the client's cabinet, group events and the review form."""

from sandbox_testkit import appointment, book, first_slot, local_day, send_code

DEMO = {"login": "demo", "password": "sandbox-pass"}


def login(api, **overrides):
    return api.call("authorize_online_booking_user", "/booking/auth", body={**DEMO, **overrides})


def test_booking_auth_by_login_email_or_phone(api):
    for who in ("demo", "demo@sandbox.test", "+37120000001", "37120000001"):
        answer = login(api, login=who)
        assert answer.status == 201, who
        assert (answer.data.id, answer.data.name, answer.data.email) == (
            501,
            "Demo Visitor",
            "demo@sandbox.test",
        )
    assert login(api).data.user_token == login(api, login="demo@sandbox.test").data.user_token
    assert login(api, password="wrong").status == 404
    assert login(api, login="nobody").status == 404


def test_user_auth_by_phone_and_code(api):
    phone = "+12125550123"
    wrong = api.call(
        "log_in_with_phone_number_and_code", "/user/auth", body={"phone": phone, "code": "123456"}
    )
    assert (wrong.status, wrong.codes) == (422, [432])  # no code was sent yet
    send_code(api, 202, phone)
    bad_phone = api.call("log_in_with_phone_number_and_code", "/user/auth", body={"phone": "x", "code": "1"})
    assert bad_phone.codes == [431]
    answer = api.call(
        "log_in_with_phone_number_and_code", "/user/auth", body={"phone": phone, "code": "123456"}
    )
    assert answer.status == 201 and answer.json["data"]["user_token"]
    data = api.call("get_booking_user", "/booking/user/data", user=answer.data.user_token).data
    assert data.phone == phone and data.token_copy == answer.data.user_token


def test_unwrapped_auth_variant(api, sb):
    sb.configure(unwrapped=True)
    answer = login(api)
    assert "success" not in answer.json and answer.data.user_token


def test_user_data_and_profile_update(api, sb):
    token = login(api).data.user_token
    data = api.call("get_booking_user", "/booking/user/data", user=token)
    assert data.json["data"]["0"] == token and data.data.login == "demo"
    assert api.call("get_booking_user", "/booking/user/data").status == 401
    update = api.call(
        "update_booking_user", "/booking/user", body={"name": "Demo V.", "email": "v@x.test"}, user=token
    )
    assert update.status == 202 and update.json["meta"] == {"message": "Accepted"}
    assert api.call("get_booking_user", "/booking/user/data", user=token).data.name == "Demo V."
    assert api.call("update_booking_user", "/booking/user", body={"email": "nope"}, user=token).status == 422


def test_phone_change_needs_the_code_sent_to_the_new_phone(api):
    token = login(api).data.user_token
    new_phone = "+37120000999"
    change = {"phone": new_phone, "confirmation_code": "123456"}
    assert api.call("update_booking_user", "/booking/user", body=change, user=token).codes == [432]
    missing = api.call(
        "send_phone_update_verification_code",
        "/booking/user/phone_confirmation",
        query={"phone": new_phone},
        user=token,
    )
    assert missing.status == 422
    sent = api.call(
        "send_phone_update_verification_code",
        "/booking/user/phone_confirmation",
        query={"company_id": 101, "phone": new_phone},
        user=token,
    )
    assert sent.status == 202 and sent.json["meta"] == {"message": "Accepted"}
    assert api.call("update_booking_user", "/booking/user", body=change, user=token).status == 202
    records = api.call("get_user_appointment_list", "/user/records/0/0", user=token).data.root
    assert records  # the records follow the client card to the new number
    assert login(api, login=new_phone).status == 201


def test_password_change_rotates_the_token(api):
    old = login(api).data.user_token
    wrong = api.call(
        "update_booking_user_password",
        "/booking/user/password",
        body={"old_password": "nope", "new_password": "another-pass"},
        user=old,
    )
    assert wrong.status == 403
    answer = api.call(
        "update_booking_user_password",
        "/booking/user/password",
        body={"old_password": "sandbox-pass", "new_password": "another-pass"},
        user=old,
    )
    new = answer.data.user_token
    assert answer.status == 200 and new != old
    assert api.call("get_booking_user", "/booking/user/data", user=old).status == 401
    assert api.call("get_booking_user", "/booking/user/data", user=new).status == 200
    assert login(api, password="another-pass").status == 201


def test_user_records_for_the_owner_or_by_hash(api, sb):
    token = login(api).data.user_token
    mine = api.call("get_user_appointment_list", "/user/records/0/0", user=token)
    assert mine.status == 201  # documented as 201 for this GET
    records = mine.data.root
    assert len(records) == 3 and {r.company.id for r in records} == {101, 202}
    assert sum(r.attendance == 1 for r in records) == 2
    slot = first_slot(api, 202, 0, [20022], local_day(sb, 202, 1))
    item = book(api, 202, [appointment(slot, 0, [20022])], phone="+12125550150").data.root[0]
    guest = api.call("get_user_appointment_list", f"/user/records/{item.record_id}/{item.record_hash}")
    assert [r.id for r in guest.data.root] == [item.record_id]
    assert api.call("get_user_appointment_list", f"/user/records/{item.record_id}/nope").status == 404


def test_group_event_booking(api, sb):
    body = {"fullname": "Group Guest", "phone": "+12125550160", "email": "g@x.test", "clients_count": 2}
    answer = api.call("book_event", "/activity/202/7201/book", body=body)
    assert answer.status == 200 and answer.data.id and len(answer.data.hash) == 32
    entry = next(a for a in sb.appointments() if a["record_id"] == answer.data.id)
    assert (entry["activity_id"], entry["clients_count"], entry["staff_id"]) == (7201, 2, 2024)
    assert api.call("book_event", "/activity/202/7201/book", body={**body, "email": ""}).status == 422
    assert api.call("book_event", "/activity/202/7201/book", body={**body, "clients_count": 5}).status == 422
    assert api.call("book_event", "/activity/202/7101/book", body=body).status == 404
    riga = {**body, "phone": "+37120000160"}
    assert api.call("book_event", "/activity/101/7101/book", body=riga).codes == [432]  # Riga wants the code
    send_code(api, 101, riga["phone"])
    assert api.call("book_event", "/activity/101/7101/book", body={**riga, "code": "123456"}).status == 200


def test_group_event_blocks_its_team_member(api, sb):
    event = sb.state.world.activities[7201]
    start = event.start.isoformat()
    check = api.call(
        "validate_booking_params",
        "/book_check/202",
        body={"appointments": [{"id": 1, "services": [20011], "staff_id": 2024, "datetime": start}]},
    )
    assert check.codes == [433]


def test_review_form_and_tips(api):
    form = api.call("get_feedback_form_status", "/master_record_review/review-101")
    assert form.status == 200 and form.data.master.id == 1011 and form.data.currency.iso == "EUR"
    assert form.data.is_review_submitted is False
    assert (
        api.call("submit_feedback_form", "/master_record_review/review-101", body={"rating": 7}).status == 422
    )
    sent = api.call(
        "submit_feedback_form",
        "/master_record_review/review-101",
        body={"rating": 5, "text": "Great", "tips_amount": 5},
    )
    assert sent.status == 200 and sent.data.charge.url.startswith("https://")
    assert api.call("get_feedback_form_status", "/master_record_review/review-101").data.is_review_submitted
    assert (
        api.call("submit_feedback_form", "/master_record_review/review-101", body={"rating": 4}).status == 422
    )
    plain = api.call("submit_feedback_form", "/master_record_review/review-202", body={"rating": 4})
    assert plain.status == 200 and plain.data.charge is None
    assert api.call("get_feedback_form_status", "/master_record_review/nope").status == 404
