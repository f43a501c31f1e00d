"""POST /api/v1/master_record_review/{record_token}: submit a review and tips (submit_feedback_form)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from booking_gateway.app_factory import make_handler
from booking_gateway.forward import forward_write
from booking_gateway.masking import register_secret
from booking_gateway.write_app import make_write_app
from booking_gateway.write_models import RecordTokenParam, ReviewRequest
from booking_gateway.write_responses import responses

app = make_write_app()


@app.post(
    "/api/v1/master_record_review/<record_token>",
    summary="Submit a rating (1-5), a text and tips",
    operation_id="submit_feedback_form",
    tags=["Client cabinet"],
    responses=responses("submit_feedback_form", body=True),
)
def master_record_review_post(
    record_token: RecordTokenParam, req: Annotated[ReviewRequest, Body(embed=False)]
):
    register_secret(record_token)
    return forward_write(
        "POST", f"/master_record_review/{record_token}", operation="submit_feedback_form", body=req.upstream()
    )


lambda_handler = make_handler(app)
