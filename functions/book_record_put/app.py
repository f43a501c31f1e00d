"""PUT /api/v1/book_record/{location_id}/{record_id}: reschedule (update_online_booking_datetime).

Needs the visitor's user token (`Authorization: User <token>`, e.g. from POST /user/auth). A success
invalidates the location's availability before the answer goes out.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from booking_gateway.allowlist import require_location
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import forward_write
from booking_gateway.user_auth import user_token
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import LocationIdParam, RecordIdParam, RescheduleRequest
from booking_gateway.write_responses import AUTH_DOC, responses

app = make_write_app()


@app.put(
    "/api/v1/book_record/<location_id>/<record_id>",
    summary="Move a booking to another slot (user token required)",
    operation_id="update_online_booking_datetime",
    tags=["Online booking"],
    responses=responses("update_online_booking_datetime", body=True),
)
def book_record_put(
    location_id: LocationIdParam,
    record_id: RecordIdParam,
    req: Annotated[RescheduleRequest, Body(embed=False)],
    authorization: Annotated[str | None, Header(alias="authorization", description=AUTH_DOC)] = None,
):
    require_location(location_id)
    token = user_token(authorization, required=True)
    return forward_write(
        "PUT",
        f"/book_record/{location_id}/{record_id}",
        operation="update_online_booking_datetime",
        body=req.upstream(),
        user_token=token,
        invalidate=location_id,
    )


lambda_handler = make_handler(app)
