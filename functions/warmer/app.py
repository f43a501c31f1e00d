"""Every minute (template.yaml: WarmerFunction's schedule): keeps fresh what visitors are about to ask, on
upstream budget they leave unused (booking_gateway.warmer)."""

from booking_gateway.observability import logger, metrics
from booking_gateway.settings import get_settings
from booking_gateway.warmer import handler

get_settings()  # a bad environment fails the cold start, naming the variable


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event, context):
    return handler(event)
