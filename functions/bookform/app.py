"""GET /api/v1/bookform/{id}: booking-form settings (get_booking_form_config). Cached for minutes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from booking_gateway.allowlist import require_bookform
from booking_gateway.app_factory import make_app, make_handler
from booking_gateway.read_params import MAX_ID, reject_unknown, responses
from booking_gateway.read_path import serve_get

app = make_app()


@app.get(
    "/api/v1/bookform/<id>",
    operation_id="get_booking_form_config",
    responses=responses("get_booking_form_config"),
    tags=["Online booking"],
    summary="Booking form settings",
)
def bookform(id: Annotated[int, Path(gt=0, le=MAX_ID, description="Booking form id")]):  # noqa: A002 (Altegio's name)
    reject_unknown(app)
    require_bookform(id)  # 404 before the cache or Altegio, like a location not served
    return serve_get("bookform", f"/bookform/{id}")


lambda_handler = make_handler(app)
