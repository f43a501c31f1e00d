"""Company webhooks settings, as Altegio's REST API has them: GET|POST /hooks_settings/{company_id}
(partner token plus the user token of a user allowed to change company settings: the sandbox's
`admin_user_token`). Deliveries themselves are webhooks.py's."""

from __future__ import annotations

from ..envelope import ApiError, Reply, forbidden, ok
from ..webhooks import validate_settings
from .context import Ctx, Route


def _admin_location(ctx: Ctx, company_id: int) -> int:
    loc = ctx.location(company_id)
    if not ctx.admin:
        raise forbidden()  # a visitor's token: Altegio's "Access denied."
    return loc.id


def get_settings(ctx: Ctx, company_id: int) -> Reply:
    return ok(ctx.state.hooks.settings(_admin_location(ctx, company_id)))


def set_settings(ctx: Ctx, company_id: int) -> Reply:
    location_id = _admin_location(ctx, company_id)
    try:
        changes = validate_settings(ctx.body)
    except ValueError as exc:
        raise ApiError(422, str(exc), [{"code": 422, "message": str(exc)}]) from exc
    return ok(ctx.state.hooks.set_settings(location_id, changes), 201)


ROUTES = (
    Route("get_hooks_settings", "GET", "/hooks_settings/<int:company_id>", get_settings, need_user=True),
    Route("update_hooks_settings", "POST", "/hooks_settings/<int:company_id>", set_settings, need_user=True),
)
