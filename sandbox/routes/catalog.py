"""Bookable services and team members."""

from __future__ import annotations

from .. import payloads
from ..envelope import Reply, not_found, ok
from .context import Ctx, Route


def member_of(ctx: Ctx, location_id: int, staff_id: int):
    member = ctx.state.world.staff.get(staff_id)
    if member is None or member.location_id != location_id:
        raise not_found("Team member not found")
    return member


def book_services(ctx: Ctx, location_id: int) -> Reply:
    loc = ctx.location(location_id)
    av = ctx.state.availability()
    staff_id = ctx.int_arg("staff_id")
    when = ctx.datetime_arg("datetime", loc)
    staff = [member_of(ctx, loc.id, staff_id)] if staff_id else av.candidates(loc.id, [])
    # Already chosen services only mean something with a team member: the answer is what can be added.
    chosen = ctx.ids("service_ids") if staff_id else []
    services = []
    for s in av.bookable_services(loc.id):
        if s.id in chosen:
            continue
        together = [*chosen, s.id]
        providers = [m for m in staff if set(together) <= m.service_ids]
        if when is not None:
            length = av.length_of(loc, together)
            providers = [m for m in providers if av.check(loc, m, when, length) == "ok"]
        if providers:
            services.append(s)
    used = {s.category_id for s in services}
    categories = sorted(
        (c for c in ctx.state.world.categories.values() if c.id in used), key=lambda c: -c.weight
    )
    now = ctx.state.now().timestamp()
    events = [
        payloads.event(a, ctx.state.world, a.capacity - ctx.state.seats_left(a), ctx.base_url)
        for a in sorted(ctx.state.world.activities.values(), key=lambda a: (a.start, a.id))
        if a.location_id == loc.id
        and a.start.timestamp() > now
        and a.start.date() <= av.last_day(loc)
        and (not staff_id or a.staff_id == staff_id)
    ]
    return ok(
        {
            "events": events,
            "services": [payloads.service(s) for s in services],
            "category": [payloads.category(c) for c in categories],
        }
    )


def book_staff(ctx: Ctx, location_id: int) -> Reply:
    loc = ctx.location(location_id)
    av = ctx.state.availability()
    chosen = ctx.ids("service_ids")
    length = av.length_of(loc, chosen)
    when = ctx.datetime_arg("datetime", loc)
    out = []
    for member in av.candidates(loc.id, chosen):
        if when is not None:
            seance_date = when.date() if av.check(loc, member, when, length) == "ok" else None
        else:
            first = av.first_day(loc, [member], av.today(loc), length)
            seance_date = first[0] if first else None
        out.append(payloads.staff_member(member, ctx.base_url, seance_date, av.last_day(loc)))
    return ok(out)


ROUTES = (
    Route("get_services_available_for_booking", "GET", "/book_services/<int:location_id>", book_services),
    Route("get_team_members_available_for_booking", "GET", "/book_staff/<int:location_id>", book_staff),
)
