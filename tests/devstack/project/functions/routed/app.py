"""A Powertools REST resolver, as the gateway's functions use one: what it reads of the event it handles."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()


def _seen() -> dict:
    event = app.current_event
    return {"method": event.http_method, "path": event.path, "body": event.body}


@app.get("/api/v1/routed/<item>")
def get_item(item: str) -> dict:
    return {**_seen(), "item": item}


@app.post("/api/v1/routed")
def post_item() -> dict:
    return {**_seen(), "request_id": app.lambda_context.aws_request_id}


def lambda_handler(event, context):
    return app.resolve(event, context)
