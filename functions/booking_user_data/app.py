"""GET /api/v1/booking/user/data: the signed-in visitor's profile (get_booking_user). Never cached."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import forward_write
from booking_gateway.user_auth import user_token
from booking_gateway.write_app import make_write_app
from booking_gateway.write_responses import AUTH_DOC, responses

app = make_write_app()


@app.get(
    "/api/v1/booking/user/data",
    summary="The signed-in visitor's profile",
    operation_id="get_booking_user",
    tags=["Client cabinet"],
    responses=responses("get_booking_user"),
)
def booking_user_data(
    authorization: Annotated[str | None, Header(alias="authorization", description=AUTH_DOC)] = None,
):
    token = user_token(authorization, required=True)
    return forward_write(
        "GET", "/booking/user/data", operation="get_booking_user", user_token=token, idempotent=True
    )


lambda_handler = make_handler(app)
