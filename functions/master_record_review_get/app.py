"""GET /api/v1/master_record_review/{record_token}: the review / tips form (get_feedback_form_status).

The record token is a secret link: masked in logs, never cached.
"""

from booking_gateway.app_factory import make_handler
from booking_gateway.forward import forward_write
from booking_gateway.masking import register_secret
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import RecordTokenParam
from booking_gateway.write_responses import responses

app = make_write_app()


@app.get(
    "/api/v1/master_record_review/<record_token>",
    summary="The review and tips form of a past appointment",
    operation_id="get_feedback_form_status",
    tags=["Client cabinet"],
    responses=responses("get_feedback_form_status"),
)
def master_record_review_get(record_token: RecordTokenParam):
    register_secret(record_token)
    return forward_write(
        "GET", f"/master_record_review/{record_token}", operation="get_feedback_form_status", idempotent=True
    )


lambda_handler = make_handler(app)
