"""Altegio's header checks: the v2 Accept type and `Bearer <partner>[, User <user>]`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .entities import User
from .envelope import unauthorized as _denied
from .state import SandboxState

ACCEPTED_TYPES = ("application/vnd.api.v2+json", "application/vnd.yclients.v2+json")
_AUTHORIZATION = re.compile(r"\s*Bearer\s+([^\s,]+)\s*(?:,\s*User\s+(\S+)\s*)?", re.IGNORECASE)


@dataclass
class Caller:
    user: User | None
    user_token: str | None
    admin: bool = False  # the location's administrator (may change company settings: hooks_settings)


def authenticate(
    state: SandboxState, accept: str | None, authorization: str | None, need_user: bool
) -> Caller:
    """Raises 401 "Authentication needed." unless every header is right (the reason goes to the log)."""
    if not any(t in (accept or "") for t in ACCEPTED_TYPES):
        raise _denied("Accept is not application/vnd.api.v2+json")
    match = _AUTHORIZATION.fullmatch(authorization or "")
    if not match:
        raise _denied("Authorization is not 'Bearer <partner>[, User <user>]'")
    partner, user_token = match.groups()
    revoked = set(state.config.revoked_tokens)
    if partner != state.config.partner_token or partner in revoked:
        raise _denied("unknown or revoked partner token")
    if user_token is None:
        if need_user:
            raise _denied("this operation needs a user token")
        return Caller(None, None)
    if user_token == state.config.admin_user_token and user_token not in revoked:
        return Caller(None, user_token, admin=True)
    user = state.user_by_token(user_token)
    if user is None or user_token in revoked:
        raise _denied("unknown or revoked user token")
    return Caller(user, user_token)
