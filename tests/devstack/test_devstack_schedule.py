"""devstack/schedule.py: the template's schedules run as EventBridge runs them, the first turn at start,
then every rate(...); a run still going is not started twice."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from devstack.schedule import Scheduler, scheduled_event
from devstack.template import Schedule, TemplateError, parse_rate


class _Functions:
    def __init__(self, wanted: int, hold: threading.Event | None = None):
        self.events: list[dict] = []
        self.done = threading.Event()
        self.wanted = wanted
        self.hold = hold

    def invoke(self, logical_id: str, event: dict):
        self.events.append(event)
        if len(self.events) >= self.wanted:
            self.done.set()
        if self.hold is not None:
            self.hold.wait(10)
        return {"passes": 1}


def _template(every_s: float):
    fn = SimpleNamespace(schedules=(Schedule("WarmerFunction", "EveryMinute", every_s),))
    return SimpleNamespace(functions={"WarmerFunction": fn}, region="eu-west-1")


def test_rates_are_read_and_cron_is_refused():
    assert parse_rate("rate(1 minute)") == 60 and parse_rate("rate(2 hours)") == 7200
    with pytest.raises(TemplateError):
        parse_rate("cron(0 12 * * ? *)")


def test_the_first_turn_is_at_start_then_every_rate():
    functions = _Functions(wanted=3)
    scheduler = Scheduler(_template(0.05), functions).start()
    try:
        assert functions.done.wait(10), functions.events
    finally:
        scheduler.stop()
    event = functions.events[0]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    schedule = _template(1).functions["WarmerFunction"].schedules[0]
    assert event["resources"] == scheduled_event(schedule, "eu-west-1")["resources"]


def test_a_run_still_going_is_not_started_again():
    hold = threading.Event()
    functions = _Functions(wanted=1, hold=hold)
    scheduler = Scheduler(_template(0.01), functions).start()
    try:
        assert functions.done.wait(10)
        # The next turn comes while the first run is held: it is skipped, not started beside it.
        assert scheduler.skipped_turn.wait(10) and len(functions.events) == 1
    finally:
        hold.set()
        scheduler.stop()
