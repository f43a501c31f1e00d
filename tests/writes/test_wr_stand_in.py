"""A list of slots from before a booking is served only patched without what the booking took, never raw,
even while Altegio fails (DESIGN.md §3); pinned at the instant where the nearest times once went wrong."""

from datetime import datetime, timedelta

import pytest
from wr_kit import NEW_YORK, booking

from sandbox import FaultRule

SERVICE = 20011
MEMBER = 2023
# On 2026-12-04 at 14:30Z New York's first nearest time of MEMBER was followed by one starting as it ended:
# noted from the record read back (no break padding), that next time stayed in the stand-in.
PINNED = "2026-12-04T14:30:00+00:00"
NEAREST = f"/book_staff_seances/{NEW_YORK}/{MEMBER}?service_ids[]={SERVICE}"


@pytest.fixture
def pinned(gw):
    """The sandbox's clock pinned at PINNED, its demo rebuilt there (gw restores both afterwards)."""
    gw.sandbox.configure(now=PINNED)
    gw.sandbox.reset()
    return gw


def _taken_until(slot: dict) -> datetime:
    from booking_gateway.holds import PADDING

    return datetime.fromisoformat(slot["datetime"]) + timedelta(seconds=slot["sum_length"] + PADDING)


def _book_first_nearest(gw) -> tuple[dict, dict]:
    before = gw.http("GET", NEAREST)
    assert before.status == 200, before.body
    first = before.data["seances"][0]
    made = gw.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, MEMBER, first["datetime"]))
    assert made.status == 201, made.body
    return before.data, first


def test_nearest_times_picked_from_stand_in_without_what_the_booking_took(pinned, clock):
    """The booked time came from the nearest times: its length (plus the break padding) is taken from that
    list, with no upstream look-up of the new record, and every time it may overlap is gone."""
    before, first = _book_first_nearest(pinned)
    looked_up = [
        r for r in pinned.sandbox.requests() if r["method"] == "GET" and "/book_record/" in r["path"]
    ]
    assert looked_up == []
    clock.advance(31.0)  # aged (fresh for 30 s): Altegio is asked, and fails
    pinned.sandbox.configure(
        faults=[FaultRule("error", path="/book_staff_seances", methods=["GET"], status=503)]
    )
    reply = pinned.http("GET", NEAREST)
    assert (reply.status, reply.headers.get("x-cache")) == (200, "stale"), reply.body
    start, until = datetime.fromisoformat(first["datetime"]), _taken_until(first)
    kept = [
        s
        for s in before["seances"]
        if not (datetime.fromisoformat(s["datetime"]) < until and start < _taken_until(s))
    ]
    assert reply.data == {**before, "seances": kept}
    assert first not in reply.data["seances"]


@pytest.mark.parametrize(
    ("upstream", "path"),
    [
        ("/book_staff_seances", NEAREST),
        ("/book_times", f"/book_times/{NEW_YORK}/{MEMBER}/{{day}}?service_ids[]={SERVICE}"),
    ],
)
def test_an_unpatchable_list_from_before_a_booking_is_refused_while_altegio_fails(
    pinned, monkeypatch, upstream, path
):
    """Nothing is known of what the booking took (no list to go by, the record not read back): with Altegio
    failing, the old list is not served raw; the caller gets a clear 502 with Retry-After."""
    from booking_gateway import holds

    nearest = pinned.http("GET", NEAREST).data
    path = path.format(day=nearest["seance_date"])
    assert pinned.http("GET", path).status == 200
    monkeypatch.setattr(holds, "_listed", lambda location_id, appointment, read=None: None)
    pinned.sandbox.configure(faults=[FaultRule("error", path="/book_record/", methods=["GET"], status=500)])
    first = nearest["seances"][0]["datetime"]
    made = pinned.http("POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, MEMBER, first))
    assert made.status == 201, made.body
    pinned.sandbox.configure(faults=[FaultRule("error", path=upstream, methods=["GET"], status=503)])
    reply = pinned.http("GET", path)
    assert (reply.status, reply.headers.get("x-cache")) == (502, "miss"), reply.body
    assert reply.headers.get("retry-after")
    assert reply.json["success"] is False and reply.data is None
    assert "unavailable" in reply.json["meta"]["message"]
