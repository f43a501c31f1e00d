"""GET /api/v1/book_services/{location_id}: bookable services (get_services_available_for_booking)."""

from booking_gateway.app_factory import make_app, make_handler
from booking_gateway.read_params import (
    DateTimeQ,
    LocationId,
    ServiceIds,
    StaffId,
    build_query,
    reject_unknown,
    responses,
)
from booking_gateway.read_path import serve_get

app = make_app()


@app.get(
    "/api/v1/book_services/<location_id>",
    operation_id="get_services_available_for_booking",
    responses=responses("get_services_available_for_booking"),
    tags=["Online booking"],
    summary="Services available for booking",
)
def book_services(
    location_id: LocationId,
    staff_id: StaffId = None,
    datetime: DateTimeQ = None,
    service_ids: ServiceIds = None,
):
    reject_unknown(app, "staff_id", "datetime", "service_ids[]")
    query = build_query(service_ids, staff_id=staff_id, datetime=datetime)
    return serve_get("book_services", f"/book_services/{location_id}", query, location_id)


lambda_handler = make_handler(app)
