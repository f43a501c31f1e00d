"""DELETE /api/v1/user/records/{record_id}/{record_hash}: cancel a booking (delete_user_appointment).

The path has no location, so the record is looked up first (GET /user/records): a record of a location
this gateway does not serve gets 404, and a successful cancel invalidates that location's availability
(every allowed location's when the look-up could not tell) before the answer goes out.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from booking_gateway import bookings
from booking_gateway.app_factory import make_handler
from booking_gateway.masking import register_secret
from booking_gateway.user_auth import user_token
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import RecordHashParam, RecordIdParam
from booking_gateway.write_responses import AUTH_DOC, responses

app = make_write_app()


@app.delete(
    "/api/v1/user/records/<record_id>/<record_hash>",
    summary="Cancel a booking (guest: by hash; signed in: with a user token)",
    operation_id="delete_user_appointment",
    tags=["Client cabinet"],
    responses=responses("delete_user_appointment"),
)
def user_records_delete(
    record_id: RecordIdParam,
    record_hash: RecordHashParam,
    authorization: Annotated[str | None, Header(alias="authorization", description=AUTH_DOC)] = None,
):
    register_secret(record_hash)
    return bookings.cancel(record_id, record_hash, user_token(authorization, required=False))


lambda_handler = make_handler(app)
