"""GET /api/v1/book_record/{location_id}/{record_id}/{record_hash}: one booking (get_online_booking_details).

A guest needs the record hash; a signed-in visitor may add `Authorization: User <token>`. Never cached.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from booking_gateway.allowlist import require_location
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import forward_write
from booking_gateway.masking import register_secret
from booking_gateway.user_auth import user_token
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import LocationIdParam, RecordHashParam, RecordIdParam
from booking_gateway.write_responses import AUTH_DOC, responses

app = make_write_app()


@app.get(
    "/api/v1/book_record/<location_id>/<record_id>/<record_hash>",
    summary="View one booking (guest: by hash; signed in: with a user token)",
    operation_id="get_online_booking_details",
    tags=["Online booking"],
    responses=responses("get_online_booking_details"),
)
def book_record_get(
    location_id: LocationIdParam,
    record_id: RecordIdParam,
    record_hash: RecordHashParam,
    authorization: Annotated[str | None, Header(alias="authorization", description=AUTH_DOC)] = None,
):
    register_secret(record_hash)
    require_location(location_id)
    return forward_write(
        "GET",
        f"/book_record/{location_id}/{record_id}/{record_hash}",
        operation="get_online_booking_details",
        user_token=user_token(authorization, required=False),
        idempotent=True,
    )


lambda_handler = make_handler(app)
