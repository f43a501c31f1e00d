"""GET /api/v1/booking/user/phone_confirmation: code for a new phone (send_phone_update_verification_code).

A GET that sends an SMS: forwarded once, never retried, never cached. `company_id` is a location id and
goes through the allowlist; `group_id` (a chain) is passed on as it is.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from booking_gateway import limits
from booking_gateway.allowlist import require_location
from booking_gateway.app_factory import make_handler
from booking_gateway.errors import Rejected
from booking_gateway.forward import respond, send
from booking_gateway.user_auth import user_token
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import CompanyIdQuery, GroupIdQuery, PhoneQuery
from booking_gateway.write_responses import AUTH_DOC, responses

app = make_write_app()


@app.get(
    "/api/v1/booking/user/phone_confirmation",
    summary="Send an SMS code to confirm a new phone number (company_id or group_id)",
    operation_id="send_phone_update_verification_code",
    tags=["Client cabinet"],
    responses=limits.documented(responses("send_phone_update_verification_code")),
)
def booking_user_phone_confirmation(
    phone: PhoneQuery,
    company_id: CompanyIdQuery = None,
    group_id: GroupIdQuery = None,
    authorization: Annotated[str | None, Header(alias="authorization", description=AUTH_DOC)] = None,
):
    if company_id is None and group_id is None:
        raise Rejected(422, "company_id or group_id is required")
    if company_id is not None:
        require_location(company_id)
    token = user_token(authorization, required=True)
    query = [("phone", phone)]
    query += [("company_id", str(company_id))] if company_id is not None else []
    query += [("group_id", str(group_id))] if group_id is not None else []
    with limits.sms(phone) as guard:  # an SMS like book_code's: the same per-phone and per-visitor limits
        result = guard.settle(
            send(
                "GET",
                "/booking/user/phone_confirmation",
                operation="send_phone_update_verification_code",
                query=query,
                user_token=token,
                idempotent=False,  # it sends an SMS: never retried
            )
        )
    return respond(result)


lambda_handler = make_handler(app)
