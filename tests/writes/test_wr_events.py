"""events/<folder>.json: realistic REST proxy events that invoke successfully on the local stack."""

import json

import pytest
from wr_kit import (
    DEMO_RECORD_SERVICE,
    DEMO_RECORD_STAFF,
    RIGA,
    ROOT,
    bookable_member,
    day,
    event_for,
    free_times_of,
)

FOLDERS = sorted(
    p.stem for p in (ROOT / "events").glob("*.json") if (ROOT / "functions" / p.stem / "app.py").exists()
)
MINE = [
    "activity_book",
    "book_check",
    "book_code",
    "book_record",
    "book_record_get",
    "book_record_put",
    "booking_auth",
    "booking_user_data",
    "booking_user_password",
    "booking_user_phone_confirmation",
    "booking_user_put",
    "master_record_review_get",
    "master_record_review_post",
    "user_auth",
    "user_records_delete",
    "user_records_get",
]
# In this order, on a fresh sandbox, each answers 2xx (book_code before user_auth; booking_auth issues the
# demo visitor's token the user-token events carry; the cancel comes last).
ORDER = [
    "book_code",
    "user_auth",
    "booking_auth",
    "booking_user_data",
    "booking_user_put",
    "booking_user_phone_confirmation",
    "book_record_get",
    "user_records_get",
    "book_check",
    "book_record",
    "activity_book",
    "master_record_review_get",
    "master_record_review_post",
    "book_record_put",
    "booking_user_password",
    "user_records_delete",
]


def test_every_write_function_has_its_event():
    assert sorted(ORDER) == MINE
    for folder in MINE:
        event = json.loads((ROOT / "events" / f"{folder}.json").read_text())
        assert event["requestContext"]["stage"] and event["resource"].startswith("/api/v1/")
        assert event["path"].startswith("/api/v1/") and "{" not in event["path"]
        assert folder in FOLDERS


def _fresh(gw, folder: str) -> dict:
    """The event file, with its slot moved to a free one when it books (the file's date ages)."""
    event = event_for(folder)
    if folder in ("book_check", "book_record"):
        loc = int(event["pathParameters"]["location_id"])
        member, free = bookable_member(gw, loc, day(gw, loc, 1))
        body = json.loads(event["body"])
        body["appointments"][0].update(datetime=free[0], staff_id=member)
        event["body"] = json.dumps(body)
    elif folder == "book_record_put":  # the demo record keeps its team member and service
        free = free_times_of(gw, RIGA, DEMO_RECORD_STAFF, DEMO_RECORD_SERVICE, first=6)
        event["body"] = json.dumps({**json.loads(event["body"]), "datetime": free[-1]})
    return event


@pytest.mark.parametrize("folder", ORDER)
def test_event_file_as_is_is_not_a_gateway_failure(gw, folder):
    reply = gw.invoke(folder, event_for(folder))
    assert reply.status < 500, reply.body
    assert isinstance(reply.json, dict)


def test_event_files_in_order_all_succeed(gw):
    statuses = {folder: gw.invoke(folder, _fresh(gw, folder)).status for folder in ORDER}
    failed = {f: s for f, s in statuses.items() if not 200 <= s < 300}
    assert not failed, failed
