"""GET /api/v1/user/records/{record_id}/{record_hash}: the visitor's bookings (get_user_appointment_list).

With a user token Altegio answers the signed-in visitor's records; a guest needs the record hash.
Altegio documents 201 for this GET; the status is passed through as it comes. Never cached.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import forward_write
from booking_gateway.masking import register_secret
from booking_gateway.user_auth import user_token
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import RecordHashParam, RecordIdParam
from booking_gateway.write_responses import AUTH_DOC, responses

app = make_write_app()


@app.get(
    "/api/v1/user/records/<record_id>/<record_hash>",
    summary="The visitor's bookings (signed in) or one booking (guest, by hash)",
    operation_id="get_user_appointment_list",
    tags=["Client cabinet"],
    responses=responses("get_user_appointment_list"),
)
def user_records_get(
    record_id: RecordIdParam,
    record_hash: RecordHashParam,
    authorization: Annotated[str | None, Header(alias="authorization", description=AUTH_DOC)] = None,
):
    register_secret(record_hash)
    return forward_write(
        "GET",
        f"/user/records/{record_id}/{record_hash}",
        operation="get_user_appointment_list",
        user_token=user_token(authorization, required=False),
        idempotent=True,
    )


lambda_handler = make_handler(app)
