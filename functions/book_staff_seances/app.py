"""GET /api/v1/book_staff_seances/{location_id}/{team_member_id}: a member's nearest free slots."""

from booking_gateway import derive
from booking_gateway.app_factory import make_app, make_handler
from booking_gateway.read_params import (
    DateTimeQ,
    LocationId,
    ServiceIds,
    TeamMemberId,
    build_query,
    reject_unknown,
    responses,
)
from booking_gateway.read_path import serve_get

app = make_app()


@app.get(
    "/api/v1/book_staff_seances/<location_id>/<team_member_id>",
    operation_id="get_nearest_time_slots",
    responses=responses("get_nearest_time_slots"),
    tags=["Online booking"],
    summary="Nearest free time slots of a team member",
)
def book_staff_seances(
    location_id: LocationId,
    team_member_id: TeamMemberId,
    service_ids: ServiceIds = None,
    datetime: DateTimeQ = None,
):
    reject_unknown(app, "service_ids[]", "datetime")
    query = build_query(service_ids, datetime=datetime)
    path = f"/book_staff_seances/{location_id}/{team_member_id}"
    nearest = derive.nearest(location_id, team_member_id, service_ids, datetime)  # from days and times
    return serve_get("book_staff_seances", path, query, location_id, member=team_member_id, derive=nearest)


lambda_handler = make_handler(app)
