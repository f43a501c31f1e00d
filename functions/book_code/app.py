"""POST /api/v1/book_code/{location_id}: send an SMS confirmation code (send_booking_verification_code)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from booking_gateway import limits
from booking_gateway.allowlist import require_location
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import respond, send
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import BookCodeRequest, LocationIdParam
from booking_gateway.write_responses import responses

app = make_write_app()


@app.post(
    "/api/v1/book_code/<location_id>",
    summary="Send an SMS confirmation code",
    operation_id="send_booking_verification_code",
    tags=["Online booking"],
    responses=limits.documented(responses("send_booking_verification_code", body=True)),
)
def book_code(location_id: LocationIdParam, req: Annotated[BookCodeRequest, Body(embed=False)]):
    require_location(location_id)
    with limits.sms(req.phone) as guard:  # per phone and per visitor: 429 before anything is sent
        result = guard.settle(
            send(
                "POST",
                f"/book_code/{location_id}",
                operation="send_booking_verification_code",
                body=req.upstream(),
            )
        )
    return respond(result)


lambda_handler = make_handler(app)
