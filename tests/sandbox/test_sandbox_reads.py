"""Read operations: booking form, strings, policy, services, team, dates, times, nearest slots, headers."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sandbox_testkit import V2, first_slot, local_day, send_code, times

RIGA, NEW_YORK = 101, 202


def test_bookforms_point_at_their_locations(api):
    riga = api.call("get_booking_form_config", "/bookform/1")
    ny = api.call("get_booking_form_config", "/bookform/2")
    assert (riga.data.company_id, riga.data.phone_confirmation, riga.data.is_show_privacy_policy) == (
        101,
        True,
        True,
    )
    assert (ny.data.company_id, ny.data.phone_confirmation, ny.data.is_show_privacy_policy) == (
        202,
        False,
        False,
    )
    assert [s.step for s in riga.data.steps] == ["service", "master", "datetime", "contact", "comfirm"]
    assert {lang.code for lang in riga.data.langs} == {"en-US", "lv-LV", "de-DE"}
    assert riga.json["meta"] == []
    missing = api.call("get_booking_form_config", "/bookform/999")
    assert missing.status == 404 and missing.json["success"] is False and missing.json["data"] is None


def test_analytics_ids_only_on_the_analytics_form(api):
    """Form 9 names the business's analytics ids (the page's consent and conversion events); 1 and 2 none."""
    form = api.call("get_booking_form_config", "/bookform/9").json["data"]
    assert (form["company_id"], form["phone_confirmation"]) == (NEW_YORK, False)
    assert form["google_analytics_id"].startswith("G-")
    assert form["facebook_pixel_id"].isdigit() and isinstance(form["metrika_counter_id"], int)
    for other in (1, 2):
        plain = api.call("get_booking_form_config", f"/bookform/{other}").json["data"]
        assert (plain["google_analytics_id"], plain["facebook_pixel_id"], plain["metrika_counter_id"]) == (
            "",
            "",
            None,
        )


@pytest.mark.parametrize("lang", ["en-US", "lv-LV", "de-DE"])
def test_i18n_strings(api, lang):
    answer = api.call("get_i18n_options", f"/i18n/{lang}")
    strings = answer.data.root
    assert {"day_of", "no_record", "have_record"} <= strings["date"].keys()
    assert strings["confirm"]["orderErrors"]["code_433"]


def test_i18n_unknown_language_and_unwrapped_variant(api, sb):
    assert api.call("get_i18n_options", "/i18n/xx-XX").status == 404
    sb.configure(unwrapped=True)
    answer = api.call("get_i18n_options", "/i18n/en-US")
    assert "success" not in answer.json and answer.data.root["master"]["any_master"] == "Any team member"


def test_privacy_policy_only_in_riga(api, sb):
    assert (
        "Studio Riga" in api.call("get_location_privacy_policy", "/privacy_policy/101").data.agreement.content
    )
    none = api.call("get_location_privacy_policy", "/privacy_policy/202")
    assert none.json["data"] == {"agreement": {"content": ""}}
    sb.configure(privacy_missing_404=True)
    assert api.call("get_location_privacy_policy", "/privacy_policy/202").status == 404


def test_book_services_lists_bookable_services_with_categories(api):
    data = api.call("get_services_available_for_booking", "/book_services/101").data
    ids = [s.id for s in data.services]
    assert ids == [10011, 10012, 10013, 10021, 10022]  # heaviest first; group-only and removed ones absent
    assert {c.id for c in data.category} == {1001, 1002}
    assert all(s.seance_length and s.price_min <= s.price_max for s in data.services)
    assert [e["id"] for e in data.events] == [7102, 7101, 7103]  # group events, soonest first


def test_book_services_lists_group_events_with_their_seats(api, sb):
    events = {
        e["id"]: e for e in api.call("get_services_available_for_booking", "/book_services/101").data.events
    }
    full, open_ = events[7102], events[7101]
    assert (full["capacity"], full["records_count"]) == (4, 4)  # the demo's full event
    assert (open_["capacity"], open_["records_count"]) == (8, 0)
    start = datetime.fromisoformat(open_["datetime"])
    assert start.utcoffset() is not None and open_["date"] == f"{start:%Y-%m-%d %H:%M:%S}"
    assert open_["length"] == 5400 and open_["service"]["price_min"] == 35 and open_["staff"]["id"] == 1011
    send_code(api, RIGA, "+37120000170")
    body = {"fullname": "Seat Guest", "phone": "+37120000170", "email": "s@x.test", "code": "123456"}
    assert api.call("book_event", "/activity/101/7101/book", body={**body, "clients_count": 3}).status == 200
    assert api.call("book_event", "/activity/101/7102/book", body=body).status == 422  # no seat left
    after = api.call("get_services_available_for_booking", "/book_services/101").data.events
    assert {e["id"]: e["records_count"] for e in after} == {7102: 4, 7101: 3, 7103: 0}
    by_janis = api.call("get_services_available_for_booking", "/book_services/101", query={"staff_id": 1012})
    assert [e["id"] for e in by_janis.data.events] == [7103]


def test_rigas_events_leave_free_times_as_they_were(api, sb):
    # Riga's events lie outside their team members' hours (New York's blocks one: test_sandbox_cabinet).
    for event in (a for a in sb.state.world.activities.values() if a.location_id == RIGA):
        member = sb.state.world.staff[event.staff_id]
        day, end = event.start.date(), event.start + timedelta(seconds=event.length)
        for a, b in member.windows_on(day):
            opens = datetime.combine(day, a, event.start.tzinfo)
            closes = datetime.combine(day, b, event.start.tzinfo)
            assert end <= opens or event.start >= closes, event.id


def test_a_bookform_may_allow_several_services(api):
    assert api.call("get_booking_form_config", "/bookform/1").json["data"]["multiple_services"] is False
    several = api.call("get_booking_form_config", "/bookform/3")
    assert several.json["data"]["multiple_services"] is True and several.data.company_id == RIGA


def test_book_services_filters_by_team_member_and_time(api, sb):
    by_liga = api.call("get_services_available_for_booking", "/book_services/101", query={"staff_id": 1013})
    assert [s.id for s in by_liga.data.services] == [10021, 10022]
    assert [c.id for c in by_liga.data.category] == [1002]
    assert (
        api.call("get_services_available_for_booking", "/book_services/101", query={"staff_id": 2021}).status
        == 404
    )
    # Add-ons for Marta at one of her free times: services she can also fit in after a manicure.
    day = local_day(sb, RIGA, 1)
    slot = first_slot(api, RIGA, 1014, [10021], day)
    addons = api.call(
        "get_services_available_for_booking",
        "/book_services/101",
        query=[("staff_id", 1014), ("datetime", slot.datetime.isoformat()), ("service_ids[]", 10021)],
    )
    assert 10021 not in {s.id for s in addons.data.services}
    assert {s.id for s in addons.data.services} <= {10011, 10012}


def test_book_staff_marks_bookable_and_seance_date(api, sb):
    answer = api.call(
        "get_team_members_available_for_booking", "/book_staff/101", query=[("service_ids[]", 10011)]
    )
    staff = {m.id: m for m in answer.data.root}
    assert set(staff) == {1011, 1012, 1014}
    assert all(m.bookable and m.seance_date >= local_day(sb, RIGA) for m in staff.values())
    raw = {m["id"]: m for m in answer.json["data"]}
    assert raw[1012]["position"] == [] and staff[1012].position is None  # PHP's empty object
    assert raw[1011]["position"] == {"id": 11, "title": "Senior stylist"}
    assert raw[1011]["seances"] == []


def test_book_staff_with_datetime_reports_who_is_free_then(api, sb):
    day = local_day(sb, RIGA, 1)
    slot = first_slot(api, RIGA, 1011, [10011], day)
    answer = api.call(
        "get_team_members_available_for_booking",
        "/book_staff/101",
        query=[("service_ids[]", 10011), ("datetime", slot.datetime.isoformat())],
    )
    staff = {m.id: m for m in answer.data.root}
    assert staff[1011].bookable and staff[1011].seance_date == slot.datetime.date()
    for member in answer.json["data"]:
        assert member["bookable"] == ("seance_date" in member)


def test_book_dates_month_range_and_filters(api, sb):
    today = local_day(sb, NEW_YORK)
    probe = today + timedelta(days=10)
    following = (probe.replace(day=1) + timedelta(days=32)).replace(day=1)
    month = api.call(
        "get_dates_available_for_booking",
        "/book_dates/202",
        query=[("service_ids[]", 20011), ("date", probe.isoformat())],
    ).data
    # The month asked for and the next one, never the past.
    assert all(probe.replace(day=1) <= d and d >= today for d in month.working_dates)
    assert {(d.year, d.month) for d in month.booking_dates} <= {
        (probe.year, probe.month),
        (following.year, following.month),
    }
    assert month.booking_dates[-1].month == following.month
    for d in month.booking_dates:
        assert d.day in month.booking_days[str(d.month)] and d in month.working_dates
    window = api.call(
        "get_dates_available_for_booking",
        "/book_dates/202",
        query=[
            ("service_ids[]", 20011),
            ("date_from", today.isoformat()),
            ("date_to", (today + timedelta(days=14)).isoformat()),
        ],
    ).data
    assert window.working_dates[0] >= today and window.working_dates[-1] <= today + timedelta(days=14)
    # The demo has a holiday (in 8 to 14 days) and a fully booked day (in 2 to 7 days).
    assert len(window.working_dates) < 15
    assert set(window.working_dates) - set(window.booking_dates)
    # A team member's own days: Maria (2022) never works on Sunday or Monday.
    maria = api.call("get_dates_available_for_booking", "/book_dates/202", query={"staff_id": 2022}).data
    assert maria.working_dates and all(d.weekday() not in (0, 6) for d in maria.working_dates)


def test_book_dates_empty_days_are_php_empty_arrays(api, sb):
    sunday = local_day(sb, RIGA, 2)
    while sunday.weekday() != 6:
        sunday += timedelta(days=1)
    answer = api.call(
        "get_dates_available_for_booking",
        "/book_dates/101",
        query=[("staff_id", 1011), ("date_from", sunday.isoformat()), ("date_to", sunday.isoformat())],
    )
    assert answer.json["data"] == {
        "booking_days": [],
        "booking_dates": [],
        "working_days": [],
        "working_dates": [],
    }


@pytest.mark.parametrize(
    ("location_id", "zone", "grid", "services", "length"),
    [
        (RIGA, "Europe/Riga", 15, [10011], 3600),
        (RIGA, "Europe/Riga", 15, [10011, 10012], 5400),
        (NEW_YORK, "America/New_York", 30, [20011], 3600),
    ],
)
def test_book_times_on_the_grid_with_the_location_offset(api, sb, location_id, zone, grid, services, length):
    day = local_day(sb, location_id, 1)
    slots = times(api, location_id, 0, day, services)
    assert slots
    for slot in slots:
        local = slot.datetime.astimezone(ZoneInfo(zone))
        assert slot.datetime.utcoffset() == local.utcoffset()
        assert local.date() == day and slot.time == f"{local:%H:%M}" and local.minute % grid == 0
        assert slot.seance_length == slot.sum_length == length


def test_book_times_for_any_member_is_the_union(api, sb):
    day = local_day(sb, NEW_YORK, 1)
    union = set()
    for staff_id in (2021, 2023, 2024):
        union |= {s.time for s in times(api, NEW_YORK, staff_id, day, [20011])}
    assert {s.time for s in times(api, NEW_YORK, 0, day, [20011])} == union
    assert times(api, NEW_YORK, 2022, day, [20011]) == []  # Maria does no massage


def test_book_times_outside_the_horizon_and_unknown_member(api, sb):
    assert times(api, RIGA, 0, local_day(sb, RIGA, -1), [10011]) == []
    assert times(api, RIGA, 0, local_day(sb, RIGA, 61), [10011]) == []
    assert api.call("get_time_slots_for_booking", "/book_times/101/2021/2030-01-01").status == 404
    assert api.call("get_time_slots_for_booking", "/book_times/101/0/not-a-date").status == 422


def test_book_times_today_never_offers_the_past(api, sb):
    now = sb.state.now()
    for slot in times(api, NEW_YORK, 0, local_day(sb, NEW_YORK), [20022]):
        assert slot.datetime >= now - timedelta(seconds=5)


def test_book_staff_seances_returns_the_nearest_day(api, sb):
    answer = api.call(
        "get_nearest_time_slots", "/book_staff_seances/101/1013", query=[("service_ids[]", 10021)]
    )
    data = answer.data
    assert data.seance_date >= local_day(sb, RIGA)
    assert [s.time for s in data.seances] == [
        s.time for s in times(api, RIGA, 1013, data.seance_date, [10021])
    ]
    later = local_day(sb, RIGA, 10)
    shifted = api.call(
        "get_nearest_time_slots",
        "/book_staff_seances/101/1013",
        query=[("service_ids[]", 10021), ("datetime", later.isoformat())],
    ).data
    assert shifted.seance_date >= later


def test_headers_are_checked(api, sb):
    good = api.headers()
    cases = {
        "no authorization": {k: v for k, v in good.items() if k != "Authorization"},
        "wrong partner": {**good, "Authorization": "Bearer nope"},
        "no bearer": {**good, "Authorization": "sandbox-partner-token"},
        "unknown user": {**good, "Authorization": "Bearer sandbox-partner-token, User nope"},
        "wrong accept": {**good, "Accept": "application/json"},
    }
    for name, headers in cases.items():
        answer = api.call("get_booking_form_config", "/bookform/1", headers=headers)
        assert answer.status == 401, name
        assert answer.json == {"success": False, "data": None, "meta": {"message": "Authentication needed."}}
    yclients = {**good, "Accept": "application/vnd.yclients.v2+json"}
    assert api.call("get_booking_form_config", "/bookform/1", headers=yclients).status == 200
    assert (
        api.call("get_booking_form_config", "/bookform/1", headers={**good, "Accept": V2 + ", */*"}).status
        == 200
    )


def test_unknown_location_path_and_method(api):
    assert api.call("get_services_available_for_booking", "/book_services/999").status == 404
    assert api.send("GET", "/nothing/here").status == 404
    assert api.send("PATCH", "/bookform/1").status == 405
    assert api.call("get_booking_form_config", "/bookform/1/").status == 200  # trailing slash tolerated


def test_tomorrow_is_bookable_whatever_the_weekday():
    from sandbox import Sandbox, SandboxConfig

    for offset in range(7):
        now = datetime(2026, 3, 2, 10, tzinfo=ZoneInfo("UTC")) + timedelta(days=offset)
        state = Sandbox(SandboxConfig(now=now.isoformat(), seed=offset)).state
        av = state.availability()
        for location_id, services in ((RIGA, (10011, 10012, 10021)), (NEW_YORK, (20011, 20021, 20022))):
            loc = state.world.locations[location_id]
            tomorrow = av.today(loc) + timedelta(days=1)
            for service in services:
                assert av.has_slot(loc, av.candidates(location_id, [service]), tomorrow, 3600), (
                    offset,
                    service,
                )
