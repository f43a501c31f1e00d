"""The demo's promises hold at every hour of a fortnight and at every instant of the date matrix, not just
at the hour a suite happens to run (stop 26's CI, Monday 00:04 in New York, found the demo visitor's "past"
appointment moved past today). Built directly: 13 ms a world, no sandbox server."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from date_matrix import INSTANTS

from sandbox.demo_data import DEMO_USER, build_world

START = datetime(2026, 12, 1, tzinfo=UTC)  # a Tuesday; 15 days cover every weekday at every hour twice
HOURLY = [START + timedelta(hours=h) for h in range(15 * 24)]
MATRIX = [datetime.fromisoformat(when) for when in INSTANTS.values() if when]


def _label(now: datetime) -> str:
    return now.isoformat(timespec="minutes")


@pytest.mark.parametrize("now", HOURLY + MATRIX, ids=_label)
def test_the_demo_keeps_its_promises(now):
    world = build_world(1, now)
    today = {loc.id: now.astimezone(loc.tz).date() for loc in world.locations.values()}

    mine = [r for r in world.records if r.client_phone == DEMO_USER.phone]
    upcoming = [r for r in mine if r.start > now]
    past = [r for r in mine if r.start + timedelta(seconds=r.length) <= now]
    assert len(upcoming) == 1 and not upcoming[0].review_token, mine
    assert len(past) == 2 and all(r.review_token and r.attendance == 1 for r in past), mine

    busy = defaultdict(list)
    for r in world.records:
        if r.activity_id:
            continue  # an event's seats share its time on purpose
        member, loc = world.staff[r.staff_id], world.locations[r.location_id]
        local = r.start.astimezone(loc.tz)
        end = local + timedelta(seconds=r.length)
        windows = member.windows_on(local.date())
        assert any(a <= local.time() and end.time() <= b for a, b in windows), (r.id, local, windows)
        busy[r.staff_id].append((r.start, r.start + timedelta(seconds=r.length)))
    for member, spans in busy.items():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), member

    for member in world.staff.values():  # "book tomorrow" always works: nobody's day off today or tomorrow
        near = {today[member.location_id], today[member.location_id] + timedelta(days=1)}
        assert not member.days_off & near, (member.id, sorted(member.days_off))
    for event in world.activities.values():  # events are always ahead, so they can be booked
        assert event.start > now, event
