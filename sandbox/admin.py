"""Admin endpoints under /__admin/ (never rate-limited, no auth): health, ledger, config, reset, sms,
clock, webhooks (knobs, status, delivery log) and the front desk (frontdesk.py)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from . import frontdesk
from .entities import Record
from .masking import mask, mask_url
from .payloads import iso

if TYPE_CHECKING:
    from .app import SandboxApp

PREFIX = "/__admin/"
_STARTED = time.time()  # the process's uptime is real, whatever the sandbox's clock says
ENDPOINTS = ("health", "ledger", "config", "reset", "sms", "clock", "webhooks", "webhooks/log", "front_desk")
# POST /__admin/webhooks keys -> config knobs (config.py validates the values).
_HOOK_KNOBS = {
    "urls": "webhook_urls",
    "delay_s": "webhook_delay_s",
    "max_attempts": "webhook_max_attempts",
    "backoff_s": "webhook_backoff_s",
    "timeout_s": "webhook_timeout_s",
    "duplicate_every": "webhook_duplicate_every",
    "order": "webhook_order",
    "paused": "webhook_paused",
    "cancel_as": "webhook_cancel_as",
    "workers": "webhook_workers",
}


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, content_type="application/json")


def appointment_entry(r: Record, first_runtime_id: int) -> dict:
    return {
        "record_id": r.id,
        "location_id": r.location_id,
        "staff_id": r.staff_id,
        "service_ids": list(r.service_ids),
        "datetime": iso(r.start),
        "length": r.length,
        "deleted": r.deleted,
        "online": r.online,
        "master_requested": r.master_requested,
        "activity_id": r.activity_id,
        "clients_count": r.clients_count,
        "api_id": r.api_id,
        "created": iso(r.created) if r.created else None,
        "changed": iso(r.changed) if r.changed else None,
        "demo": r.id < first_runtime_id,
        "client": {"name": mask(r.client_name), "phone": mask(r.client_phone)},
        "review_token": r.review_token,
    }


def ledger(app: SandboxApp, since: int = 0, appointments: bool = True) -> dict:
    state = app.state
    # changes: every record change with its interval before and after (the bench's stale-slot count)
    out: dict = {"requests": state.ledger.entries(since), "changes": state.hooks.changes()}
    if appointments:
        with state.lock:
            out["appointments"] = [
                appointment_entry(r, state.first_runtime_id) for r in state.records.values()
            ]
    return out


def _body(request: Request) -> dict:
    raw = request.get_data()
    body = json.loads(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def handle(app: SandboxApp, request: Request) -> Response:
    path, method = request.path.rstrip("/"), request.method
    if path == "":
        return _json(
            {
                "service": "sandbox-altegio",
                "api_base": request.host_url + "api/v1",
                "admin": [PREFIX + p for p in ENDPOINTS],
            }
        )
    action = path.removeprefix(PREFIX.rstrip("/")).strip("/")
    if action.split("/")[0] == "front_desk":
        return frontdesk.handle(app.state, request, action.split("/")[1:])
    if action == "health" and method == "GET":
        return _json(
            {
                "status": "ok",
                "seed": app.config.seed,
                "uptime_s": round(time.time() - _STARTED, 1),
                "appointments": len(app.state.records),
            }
        )
    if action == "ledger" and method == "GET":
        since = request.args.get("since", "0")
        with_appointments = request.args.get("appointments", "1") not in ("0", "false")
        return _json(ledger(app, int(since) if since.isdigit() else 0, with_appointments))
    if action == "config" and method == "GET":
        return _json({"config": _shown_config(app)})
    if action == "config" and method == "POST":
        try:
            app.config.apply(_body(request))
        except (ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        app.state.hooks.poke()
        return _json({"config": _shown_config(app)})
    if action == "webhooks" and method == "GET":
        return _json(webhooks(app))
    if action == "webhooks" and method == "POST":
        try:
            set_webhooks(app, _body(request))
        except (ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json(webhooks(app))
    if action == "webhooks/log" and method == "GET":
        since = request.args.get("since", "0")
        return _json({"deliveries": app.state.hooks.deliveries(int(since) if since.isdigit() else 0)})
    if action == "reset" and method == "POST":
        try:
            app.reset(config=bool(_body(request).get("config")))
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"status": "reset", "appointments": len(app.state.records)})
    if action == "clock" and method == "GET":
        return _json(app.state.clock.state())
    if action == "clock" and method == "POST":
        try:
            rebuilt = set_clock(app, _body(request))
        except (ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({**app.state.clock.state(), "rebuilt": rebuilt})
    if action == "sms" and method == "GET":
        phone = request.args.get("phone", "")
        return _json({"phone": mask(phone), "code": app.state.code_for(phone)})
    return _json({"error": f"no admin endpoint {method} {request.path}"}, 404)


def _shown_config(app: SandboxApp) -> dict:
    """The knobs, with webhook URLs masked (their secret is in the path)."""
    out = app.config.to_dict()
    out["webhook_urls"] = [mask_url(u) for u in out["webhook_urls"]]
    return out


def webhooks(app: SandboxApp) -> dict:
    """GET /__admin/webhooks: the knobs, the queue, counts, and every location's hooks_settings (URLs
    masked). The delivery log is GET /__admin/webhooks/log[?since=<seq>]."""
    hooks = app.state.hooks
    settings = {}
    for location_id in sorted(app.state.world.locations):
        current = hooks.settings(location_id)
        settings[str(location_id)] = {**current, "urls": [mask_url(u) for u in current["urls"]]}
    return {**hooks.status(), "settings": settings}


def set_webhooks(app: SandboxApp, body: dict) -> None:
    """POST /__admin/webhooks: {"urls": [...]} registers the URLs for every location (records on), as the
    `webhook_urls` knob does; the other keys are the knobs without their `webhook_` prefix."""
    unknown = sorted(set(body) - set(_HOOK_KNOBS))
    if unknown:
        raise ValueError(f"unknown webhook keys: {', '.join(unknown)} (known: {', '.join(_HOOK_KNOBS)})")
    app.config.apply({_HOOK_KNOBS[k]: v for k, v in body.items()})
    app.state.hooks.poke()


_CLOCK_KEYS = {"now", "frozen", "advance_s", "rebuild"}


def set_clock(app: SandboxApp, body: dict) -> bool:
    """POST /__admin/clock: {"now": "<ISO with offset>" | null, "frozen": bool, "rebuild": bool} pins the
    clock (null: real time) and rebuilds the demo around it unless rebuild is false; {"advance_s": N} lets
    N seconds pass (nothing rebuilt); {"frozen": bool} alone freezes or thaws it where it is."""
    unknown = sorted(set(body) - _CLOCK_KEYS)
    if unknown:
        raise ValueError(f"unknown clock keys: {', '.join(unknown)}")
    frozen, advance, rebuild = body.get("frozen"), body.get("advance_s"), body.get("rebuild", True)
    if frozen is not None and not isinstance(frozen, bool) or not isinstance(rebuild, bool):
        raise ValueError("frozen and rebuild must be true or false")
    if advance is not None and (isinstance(advance, bool) or not isinstance(advance, int | float)):
        raise ValueError("advance_s must be a number of seconds")
    return app.state.set_clock(
        now=body.get("now"), frozen=frozen, advance_s=advance, rebuild=rebuild, pin="now" in body
    )
