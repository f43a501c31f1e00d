"""GET /api/v1/book_staff/{location_id}: bookable team members (get_team_members_available_for_booking)."""

from booking_gateway import derive
from booking_gateway.app_factory import make_app, make_handler
from booking_gateway.read_params import (
    DateTimeQ,
    LocationId,
    ServiceIds,
    build_query,
    reject_unknown,
    responses,
)
from booking_gateway.read_path import serve_get

app = make_app()


@app.get(
    "/api/v1/book_staff/<location_id>",
    operation_id="get_team_members_available_for_booking",
    responses=responses("get_team_members_available_for_booking"),
    tags=["Online booking"],
    summary="Team members available for booking",
)
def book_staff(location_id: LocationId, service_ids: ServiceIds = None, datetime: DateTimeQ = None):
    reject_unknown(app, "service_ids[]", "datetime")
    query = build_query(service_ids, datetime=datetime)
    at = derive.staff_at(location_id, service_ids, datetime)  # from each member's cached times, when fresh
    return serve_get("book_staff", f"/book_staff/{location_id}", query, location_id, derive=at)


lambda_handler = make_handler(app)
