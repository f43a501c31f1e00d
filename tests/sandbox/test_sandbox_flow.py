"""A visitor's whole flow in both time zones: services → staff → dates → times → code → check → record
→ view → cancel; the booked slot is gone until the cancel brings it back."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sandbox_testkit import local_day, send_code, times

LOCATIONS = {1: ("Europe/Riga", "+37120000500"), 2: ("America/New_York", "+12125550500")}


@pytest.mark.parametrize("form_id", [1, 2], ids=["riga", "new-york"])
def test_visitor_books_views_and_cancels(api, sb, form_id):
    zone, phone = LOCATIONS[form_id]
    form = api.call("get_booking_form_config", f"/bookform/{form_id}").data
    loc = form.company_id
    if form.is_show_privacy_policy:
        assert api.call("get_location_privacy_policy", f"/privacy_policy/{loc}").data.agreement.content

    service = api.call("get_services_available_for_booking", f"/book_services/{loc}").data.services[0]
    staff = api.call(
        "get_team_members_available_for_booking", f"/book_staff/{loc}", query=[("service_ids[]", service.id)]
    ).data.root
    member = next(m for m in staff if m.bookable)
    tomorrow = local_day(sb, loc, 1)
    dates = api.call(
        "get_dates_available_for_booking",
        f"/book_dates/{loc}",
        query=[("service_ids[]", service.id), ("staff_id", member.id), ("date", tomorrow.isoformat())],
    ).data
    day = next(d for d in dates.booking_dates if d >= tomorrow)
    slots = times(api, loc, member.id, day, [service.id])
    slot = slots[len(slots) // 2]
    local = datetime.fromisoformat(slot.datetime.isoformat()).astimezone(ZoneInfo(zone))
    assert slot.datetime.utcoffset() == local.utcoffset() and slot.time == f"{local:%H:%M}"

    code = None
    if form.phone_confirmation:
        send_code(api, loc, phone)
        code = sb.sms_code(phone)
    appointments = [
        {"id": 1, "services": [service.id], "staff_id": member.id, "datetime": slot.datetime.isoformat()}
    ]
    assert (
        api.call("validate_booking_params", f"/book_check/{loc}", body={"appointments": appointments}).status
        == 201
    )
    body = {
        "phone": phone,
        "fullname": "Flow Visitor",
        "email": "flow@example.com",
        "appointments": appointments,
    }
    if code:
        body["code"] = code
    created = api.call("create_online_booking", f"/book_record/{loc}", body=body)
    assert created.status == 201
    record_id, record_hash = created.data.root[0].record_id, created.data.root[0].record_hash

    record = api.call("get_online_booking_details", f"/book_record/{loc}/{record_id}/{record_hash}").data
    assert record.datetime == slot.datetime and record.staff.id == member.id and not record.deleted
    assert record.services[0].id == service.id and record.company.id == loc
    assert slot.time not in {s.time for s in times(api, loc, member.id, day, [service.id])}
    again = api.call("validate_booking_params", f"/book_check/{loc}", body={"appointments": appointments})
    assert again.codes == [433]

    cancelled = api.call("delete_user_appointment", f"/user/records/{record_id}/{record_hash}")
    assert cancelled.status == 200
    assert slot.time in {s.time for s in times(api, loc, member.id, day, [service.id])}
    view = api.call("get_online_booking_details", f"/book_record/{loc}/{record_id}/{record_hash}").data
    assert view.deleted is True
