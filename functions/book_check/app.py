"""POST /api/v1/book_check/{location_id}: validate appointments before booking (validate_booking_params).

The same check is answered from a short-lived copy until a booking on its day (booking_gateway.check_cache).
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from booking_gateway.allowlist import require_location
from booking_gateway.app_factory import make_handler
from booking_gateway.check_cache import checked
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import BookCheckRequest, LocationIdParam
from booking_gateway.write_responses import responses

app = make_write_app()


@app.post(
    "/api/v1/book_check/<location_id>",
    summary="Check that appointments can be booked (201) or why not (422 with 433/436/437/438)",
    operation_id="validate_booking_params",
    tags=["Online booking"],
    responses=responses("validate_booking_params", body=True),
)
def book_check(location_id: LocationIdParam, req: Annotated[BookCheckRequest, Body(embed=False)]):
    require_location(location_id)
    return checked(location_id, req.upstream())


lambda_handler = make_handler(app)
