"""POST /api/v1/book_record/{location_id}: create booking(s) (create_online_booking).

Honours an Idempotency-Key header (one upstream booking per key), never retries the upstream call,
answers 504 on a timeout, and invalidates the booked days' availability before answering, noting what the
booking took so lists from before can stand in without it (booking_gateway.bookings).
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from booking_gateway import bookings, limits
from booking_gateway.allowlist import require_location
from booking_gateway.app_factory import make_handler
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import BookRecordRequest, LocationIdParam
from booking_gateway.write_responses import responses

app = make_write_app()


@app.post(
    "/api/v1/book_record/<location_id>",
    summary="Create booking(s); send an Idempotency-Key to make retries safe",
    operation_id="create_online_booking",
    tags=["Online booking"],
    responses=limits.documented(responses("create_online_booking", body=True, idempotency=True)),
)
def book_record(
    location_id: LocationIdParam,
    req: Annotated[BookRecordRequest, Body(embed=False)],
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", max_length=300, description="One booking per key")
    ] = None,
):
    require_location(location_id)
    # A booking with an SMS code checks the code: a locked phone is refused (429) before anything else.
    with limits.code_check(req.phone, code_sent=req.code is not None) as guard:
        return bookings.book(location_id, req.upstream(), key=idempotency_key, app=app, settle=guard.settle)


lambda_handler = make_handler(app)
