"""Dates, times and nearest slots: computed from schedules and records on every call."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from .. import payloads
from ..availability import Availability
from ..envelope import Reply, ok
from .catalog import member_of
from .context import Ctx, Route


def _staff(ctx: Ctx, av: Availability, location_id: int, staff_id: int, service_ids: list[int]):
    if staff_id:
        member_of(ctx, location_id, staff_id)  # 404 for a stranger
    return av.candidates(location_id, service_ids, staff_id)


def _date_range(ctx: Ctx, loc, today: date, last: date) -> tuple[date, date]:
    date_from, date_to = ctx.day_arg("date_from", loc), ctx.day_arg("date_to", loc)
    if date_from and date_to:
        start, end = date_from, date_to
    elif (month := ctx.day_arg("date", loc)) is not None:
        # Altegio answers a month with that month and the next (both of the spec's examples do).
        start = month.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        end = following.replace(day=calendar.monthrange(following.year, following.month)[1])
    else:
        start, end = today, last
    return max(start, today), min(end, last)


def book_dates(ctx: Ctx, location_id: int) -> Reply:
    loc = ctx.location(location_id)
    av = ctx.state.availability()
    chosen = ctx.ids("service_ids")
    staff = _staff(ctx, av, loc.id, ctx.int_arg("staff_id"), chosen)
    length = av.length_of(loc, chosen)
    start, end = _date_range(ctx, loc, av.today(loc), av.last_day(loc))
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    working = [d for d in days if av.works_on(loc, staff, d)]
    booking = [d for d in working if av.has_slot(loc, staff, d, length)]
    return ok(
        {
            "booking_days": payloads.by_month(booking),
            "booking_dates": [d.isoformat() for d in booking],
            "working_days": payloads.by_month(working),
            "working_dates": [d.isoformat() for d in working],
        }
    )


def book_times(ctx: Ctx, location_id: int, team_member_id: int, day: str) -> Reply:
    loc = ctx.location(location_id)
    when = ctx.day_value(day, "date", loc)
    av = ctx.state.availability()
    chosen = ctx.ids("service_ids")
    staff = _staff(ctx, av, loc.id, team_member_id, chosen)
    length = av.length_of(loc, chosen)
    return ok([payloads.slot(loc, t, length) for t in av.day_slots(loc, staff, when, length)])


def book_staff_seances(ctx: Ctx, location_id: int, team_member_id: int) -> Reply:
    loc = ctx.location(location_id)
    av = ctx.state.availability()
    chosen = ctx.ids("service_ids")
    staff = _staff(ctx, av, loc.id, team_member_id, chosen)
    length = av.length_of(loc, chosen)
    first = av.first_day(loc, staff, ctx.day_arg("datetime", loc) or av.today(loc), length)
    if first is None:
        return ok({"seance_date": None, "seances": []})
    day, slots = first
    return ok({"seance_date": day.isoformat(), "seances": [payloads.slot(loc, t, length) for t in slots]})


ROUTES = (
    Route("get_dates_available_for_booking", "GET", "/book_dates/<int:location_id>", book_dates),
    Route(
        "get_time_slots_for_booking",
        "GET",
        "/book_times/<int:location_id>/<int:team_member_id>/<day>",
        book_times,
    ),
    Route(
        "get_nearest_time_slots",
        "GET",
        "/book_staff_seances/<int:location_id>/<int:team_member_id>",
        book_staff_seances,
    ),
)
