"""GET /api/v1/privacy_policy/{location_id}: the location's privacy policy. Cached for an hour."""

from booking_gateway.app_factory import make_app, make_handler
from booking_gateway.read_params import LocationId, reject_unknown, responses
from booking_gateway.read_path import serve_get

app = make_app()


@app.get(
    "/api/v1/privacy_policy/<location_id>",
    operation_id="get_location_privacy_policy",
    responses=responses("get_location_privacy_policy"),
    tags=["Online booking"],
    summary="Privacy policy of a location",
)
def privacy_policy(location_id: LocationId):
    reject_unknown(app)
    return serve_get("privacy_policy", f"/privacy_policy/{location_id}", location_id=location_id)


lambda_handler = make_handler(app)
