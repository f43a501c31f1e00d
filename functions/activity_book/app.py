"""POST /api/v1/activity/{location_id}/{event_id}/book: seats in a group event (book_event)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from booking_gateway.allowlist import require_location
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import forward_write
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import ActivityBookRequest, EventIdParam, LocationIdParam
from booking_gateway.write_responses import responses

app = make_write_app()


@app.post(
    "/api/v1/activity/<location_id>/<event_id>/book",
    summary="Book seats in a group event",
    operation_id="book_event",
    tags=["Online booking"],
    responses=responses("book_event", body=True),
)
def activity_book(
    location_id: LocationIdParam,
    event_id: EventIdParam,
    req: Annotated[ActivityBookRequest, Body(embed=False)],
):
    require_location(location_id)
    return forward_write(
        "POST",
        f"/activity/{location_id}/{event_id}/book",
        operation="book_event",
        body=req.upstream(),
        invalidate=location_id,
    )


lambda_handler = make_handler(app)
