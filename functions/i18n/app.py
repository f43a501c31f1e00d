"""GET /api/v1/i18n/{lang_code}: the widget's translation strings (get_i18n_options). Cached for an hour."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from booking_gateway.app_factory import make_app, make_handler
from booking_gateway.read_params import reject_unknown, responses
from booking_gateway.read_path import serve_get

app = make_app()


@app.get(
    "/api/v1/i18n/<lang_code>",
    operation_id="get_i18n_options",
    responses=responses("get_i18n_options"),
    tags=["Online booking"],
    summary="Translation strings",
)
def i18n(lang_code: Annotated[str, Path(pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="e.g. en-US")]):
    reject_unknown(app)
    return serve_get("i18n", f"/i18n/{lang_code}")


lambda_handler = make_handler(app)
