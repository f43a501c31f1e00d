"""GET /api/v1/book_dates/{location_id}: which days can be booked (get_dates_available_for_booking)."""

from booking_gateway.app_factory import make_app, make_handler
from booking_gateway.read_params import (
    DateQ,
    LocationId,
    ServiceIds,
    StaffId,
    build_query,
    check_date_range,
    reject_unknown,
    responses,
)
from booking_gateway.read_path import serve_get

app = make_app()


@app.get(
    "/api/v1/book_dates/<location_id>",
    operation_id="get_dates_available_for_booking",
    responses=responses("get_dates_available_for_booking"),
    tags=["Online booking"],
    summary="Days available for booking",
)
def book_dates(
    location_id: LocationId,
    service_ids: ServiceIds = None,
    staff_id: StaffId = None,
    date: DateQ = None,
    date_from: DateQ = None,
    date_to: DateQ = None,
):
    reject_unknown(app, "service_ids[]", "staff_id", "date", "date_from", "date_to")
    check_date_range(date_from, date_to)
    query = build_query(service_ids, staff_id=staff_id, date=date, date_from=date_from, date_to=date_to)
    return serve_get("book_dates", f"/book_dates/{location_id}", query, location_id)


lambda_handler = make_handler(app)
