"""events/<folder>.json: realistic REST proxy events that invoke successfully on the local stack."""

import json

import pytest
from wr_kit import ROOT, bookable_member, day, event_for

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
    if folder in ("book_check", "book_record", "book_record_put"):
        loc = int(event["pathParameters"]["location_id"])
        when = day(gw, loc, 5 if folder == "book_record_put" else 1)
        member, free = bookable_member(gw, loc, when)
        body = json.loads(event["body"])
        if "appointments" in body:
            body["appointments"][0].update(datetime=free[0], staff_id=member)
        else:
            body["datetime"] = free[-1]
        event["body"] = json.dumps(body)
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
