"""POST /api/v1/activity/{location_id}/{event_id}/book: seats in a group event (book_event)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from booking_gateway import limits
from booking_gateway.allowlist import require_location
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import respond, send
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import ActivityBookRequest, EventIdParam, LocationIdParam
from booking_gateway.write_responses import responses

app = make_write_app()


@app.post(
    "/api/v1/activity/<location_id>/<event_id>/book",
    summary="Book seats in a group event",
    operation_id="book_event",
    tags=["Online booking"],
    responses=limits.documented(responses("book_event", body=True)),
)
def activity_book(
    location_id: LocationIdParam,
    event_id: EventIdParam,
    req: Annotated[ActivityBookRequest, Body(embed=False)],
):
    require_location(location_id)
    with limits.code_check(req.phone, code_sent=req.code is not None) as guard:
        result = guard.settle(
            send(
                "POST",
                f"/activity/{location_id}/{event_id}/book",
                operation="book_event",
                body=req.upstream(),
                invalidate=location_id,
            )
        )
    return respond(result)


lambda_handler = make_handler(app)
