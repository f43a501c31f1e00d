"""PUT /api/v1/booking/user: change the account's name / e-mail / phone (update_booking_user)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from booking_gateway import limits
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import respond, send
from booking_gateway.user_auth import user_token
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import BookingUserUpdateRequest
from booking_gateway.write_responses import AUTH_DOC, responses

app = make_write_app()


@app.put(
    "/api/v1/booking/user",
    summary="Update the signed-in visitor's profile (a new phone needs confirmation_code)",
    operation_id="update_booking_user",
    tags=["Client cabinet"],
    responses=limits.documented(responses("update_booking_user", body=True)),
)
def booking_user_put(
    req: Annotated[BookingUserUpdateRequest, Body(embed=False)],
    authorization: Annotated[str | None, Header(alias="authorization", description=AUTH_DOC)] = None,
):
    token = user_token(authorization, required=True)
    # A new phone's confirmation_code is an SMS code Altegio checks: counted against that phone.
    with limits.code_check(req.phone, code_sent=req.confirmation_code is not None) as guard:
        result = guard.settle(
            send(
                "PUT", "/booking/user", operation="update_booking_user", body=req.upstream(), user_token=token
            )
        )
    return respond(result)


lambda_handler = make_handler(app)
