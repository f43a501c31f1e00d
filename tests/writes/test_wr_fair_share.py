"""A fair share of the upstream budget per caller class, on the local stack in real time: while the page
floods the gateway with reads that all miss the cache, a partner's booking goes out within a second or so
(writes keep their priority) and the partner's own reads still get upstream calls, because the page's
reads stop at their share of the minute. Altegio's limits (the sandbox's, on) are never exceeded.

The minute is made small (UPSTREAM_PER_MINUTE=40: 36 for reads, of which the page alone may take 30, and
18 once another class reads) so the page spends its share within seconds at 4 calls a second."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from wr_kit import NEW_YORK, RIGA, SERVICE, bookable_member, booking, day

PARTNER_KEY = "partner-fair-share-key-0001"
FLOODERS = 3


@pytest.fixture
def small_minute(gw, monkeypatch):
    from booking_gateway import container
    from booking_gateway.settings import get_settings

    monkeypatch.setenv("UPSTREAM_PER_MINUTE", "40")
    container.reset("settings")
    yield get_settings()
    monkeypatch.undo()
    container.reset("settings")


class Flood:
    """Page reads of slot lists nobody asked for before (every one a cache miss), from several threads."""

    def __init__(self, gw, targets: list[str]):
        self.gw, self.targets = gw, iter(targets)
        self.guard = threading.Lock()
        self.answers: list[tuple[int, str | None]] = []
        self.share_spent = threading.Event()
        self.busy = threading.Event()  # the page has had upstream answers: the slots are in use
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(FLOODERS)]

    def run(self) -> None:
        while not self.stop.is_set():
            with self.guard:
                target = next(self.targets, None)
            if target is None:
                return
            reply = self.gw.http("GET", target)
            with self.guard:
                self.answers.append((reply.status, reply.headers.get("x-cache")))
                if sum(1 for s, c in self.answers if s == 200 and c == "miss") >= 4:
                    self.busy.set()
            if reply.status == 503:
                self.share_spent.set()

    def __enter__(self) -> Flood:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)

    def upstream_answers(self) -> int:
        return sum(1 for status, cache in self.answers if status == 200 and cache == "miss")


def _page_targets(gw) -> list[str]:
    members = sorted(m.id for m in gw.sandbox.state.world.staff.values() if m.location_id == RIGA)
    return [
        f"/book_times/{RIGA}/{member}/{(day(gw, RIGA, 0) + timedelta(days=d)).isoformat()}"
        f"?service_ids[]={SERVICE[RIGA]}"
        for d in range(1, 60)
        for member in members
    ]


def test_a_page_flood_neither_delays_a_partners_booking_nor_starves_its_reads(gw, small_minute):
    when = day(gw, NEW_YORK, 2)
    member, slots = bookable_member(gw, NEW_YORK, when)  # straight to the sandbox, before its limit is on
    gw.stack.add_partner_key(PARTNER_KEY)
    partner = {"x-api-key": PARTNER_KEY}
    gw.sandbox.configure(rate_limit=True)  # Altegio's own 5/s and 200/min
    since = len(gw.sandbox.requests())
    with Flood(gw, _page_targets(gw)) as flood:
        assert flood.busy.wait(30), "the page's reads never reached Altegio"
        started = time.monotonic()
        booked = gw.http(
            "POST", f"/book_record/{NEW_YORK}", body=booking(NEW_YORK, member, slots[0]), headers=partner
        )
        booking_s = time.monotonic() - started
        assert booked.status == 201, booked.body
        assert flood.share_spent.wait(60), "the page never reached its share"
        reads = [
            gw.http(
                "GET",
                f"/book_dates/{NEW_YORK}?date={when.isoformat()}&service_ids[]={SERVICE[NEW_YORK]}",
                headers=partner,
            ),
            gw.http("GET", f"/book_staff/{NEW_YORK}?service_ids[]={SERVICE[NEW_YORK]}", headers=partner),
            gw.http("GET", f"/book_services/{NEW_YORK}?staff_id={member}", headers=partner),
        ]
        page_after = gw.http("GET", f"/book_staff/{RIGA}?service_ids[]={SERVICE[RIGA]}")
    sandbox = gw.sandbox.requests(since)
    figures = {
        "booking_s": round(booking_s, 2),
        "page_upstream": flood.upstream_answers(),
        "page_refused": sum(1 for s, _ in flood.answers if s == 503),
        "partner_reads": [(r.status, r.headers.get("x-cache")) for r in reads],
        "altegio_429": sum(1 for r in sandbox if r["status"] == 429),
    }
    print("fair share:", figures)
    # Writes keep their priority: the booking waited at most about one slot's spacing for the page's reads.
    assert booking_s < 2.5, figures
    # The page stopped at its share of the minute's 36 reads (30 while alone), and is refused since...
    assert flood.upstream_answers() <= 30, figures
    assert page_after.status == 503 and int(page_after.headers["retry-after"]) >= 1
    # ...while the partner's reads, asked after the page's share was spent, each made an upstream call.
    assert [(r.status, r.headers.get("x-cache")) for r in reads] == [(200, "miss")] * 3, figures
    assert figures["altegio_429"] == 0
