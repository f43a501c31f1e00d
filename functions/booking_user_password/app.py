"""PUT /api/v1/booking/user/password: change the password (update_booking_user_password).

Altegio answers with a new user token; the old one stops working.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import forward_write
from booking_gateway.user_auth import user_token
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import PasswordUpdateRequest
from booking_gateway.write_responses import AUTH_DOC, responses

app = make_write_app()


@app.put(
    "/api/v1/booking/user/password",
    summary="Change the signed-in visitor's password (answers a new user token)",
    operation_id="update_booking_user_password",
    tags=["Client cabinet"],
    responses=responses("update_booking_user_password", body=True),
)
def booking_user_password(
    req: Annotated[PasswordUpdateRequest, Body(embed=False)],
    authorization: Annotated[str | None, Header(alias="authorization", description=AUTH_DOC)] = None,
):
    token = user_token(authorization, required=True)
    return forward_write(
        "PUT",
        "/booking/user/password",
        operation="update_booking_user_password",
        body=req.upstream(),
        user_token=token,
    )


lambda_handler = make_handler(app)
