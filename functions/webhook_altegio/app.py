"""POST /api/v1/webhooks/altegio/{secret}: Altegio's company webhooks (no API key: Altegio cannot send one).

The secret is the registered URL's last segment; POST /api/v1/webhooks/altegio takes it in X-Webhook-Secret
instead. A record created, moved or deleted anywhere bumps and notes the days it changed (webhooks.py).
"""

from booking_gateway import webhooks
from booking_gateway.app_factory import make_app, make_handler

app = make_app()


@app.post("/api/v1/webhooks/altegio/<secret>", include_in_schema=False)
def webhook_altegio(secret: str):
    return webhooks.receive(app.current_event.raw_event, secret)


@app.post("/api/v1/webhooks/altegio", include_in_schema=False)
def webhook_altegio_header():
    return webhooks.receive(app.current_event.raw_event, None)


lambda_handler = make_handler(app, any_accept=True)
