"""GET /api/v1/book_times/{location_id}/{team_member_id}/{date}: free slots of one day."""

from booking_gateway import derive
from booking_gateway.app_factory import make_app, make_handler
from booking_gateway.read_params import (
    DatePath,
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
    "/api/v1/book_times/<location_id>/<team_member_id>/<date>",
    operation_id="get_time_slots_for_booking",
    responses=responses("get_time_slots_for_booking"),
    tags=["Online booking"],
    summary="Time slots of one day",
)
def book_times(
    location_id: LocationId, team_member_id: TeamMemberId, date: DatePath, service_ids: ServiceIds = None
):
    reject_unknown(app, "service_ids[]")
    query = build_query(service_ids)
    path = f"/book_times/{location_id}/{team_member_id}/{date}"
    day = str(date)
    any_times = derive.any_times(location_id, team_member_id, day, service_ids)  # from members' times
    return serve_get("book_times", path, query, location_id, day=day, member=team_member_id, derive=any_times)


lambda_handler = make_handler(app)
