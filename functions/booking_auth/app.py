"""POST /api/v1/booking/auth: sign in with login + password (authorize_online_booking_user) → user_token."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from booking_gateway import limits
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import respond, send
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import BookingAuthRequest
from booking_gateway.write_responses import responses

app = make_write_app()


@app.post(
    "/api/v1/booking/auth",
    summary="Sign in to an online-booking account (phone or e-mail + password)",
    operation_id="authorize_online_booking_user",
    tags=["Client cabinet"],
    responses=limits.documented(responses("authorize_online_booking_user", body=True)),
)
def booking_auth(req: Annotated[BookingAuthRequest, Body(embed=False)]):
    with limits.password_check(req.login) as guard:  # a locked login (or visitor): 429, nothing sent
        result = guard.settle(
            send("POST", "/booking/auth", operation="authorize_online_booking_user", body=req.upstream())
        )
    return respond(result)


lambda_handler = make_handler(app)
