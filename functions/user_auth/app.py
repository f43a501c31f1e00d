"""POST /api/v1/user/auth: sign in with phone + SMS code (log_in_with_phone_number_and_code) → user_token."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from booking_gateway import limits
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import respond, send
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import UserAuthRequest
from booking_gateway.write_responses import responses

app = make_write_app()


@app.post(
    "/api/v1/user/auth",
    summary="Sign in with the phone and the SMS code from book_code",
    operation_id="log_in_with_phone_number_and_code",
    tags=["Client cabinet"],
    responses=limits.documented(responses("log_in_with_phone_number_and_code", body=True)),
)
def user_auth(req: Annotated[UserAuthRequest, Body(embed=False)]):
    with limits.code_check(req.phone) as guard:  # a locked phone (or visitor): 429, nothing sent
        result = guard.settle(
            send("POST", "/user/auth", operation="log_in_with_phone_number_and_code", body=req.upstream())
        )
    return respond(result)


lambda_handler = make_handler(app)
