"""The caller's user token, from `Authorization: User <t>` or Altegio's `Bearer <anything>, User <t>`.

Existing Altegio clients send their own partner bearer in front of the user part; the gateway ignores
that bearer (it holds the real partner token itself) and never forwards, logs or returns it. Upstream
the gateway sends `Bearer <partner>, User <user>` (altegio_client.call(user_token=...)).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import Rejected
from .masking import register_secret

# The user part: the literal word User (any case), whitespace, then the token up to a comma / the end.
_USER_PART = re.compile(r"(?:^|,)\s*user\s+(?P<token>[^\s,]+)\s*(?=,|$)", re.IGNORECASE)
# What a token may look like: printable, no separators, bounded.
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")


class InvalidUserToken(ValueError):
    """The Authorization header has a `User` part that is not a plausible token (→ 401)."""


def _authorization(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "authorization" and value is not None:
            return str(value)
    return None


def user_token_from(headers: Mapping[str, str] | None) -> str | None:
    """The user token, or None when the caller sent none (no header, or only a `Bearer` part).

    Raises InvalidUserToken when a `User` part is present but malformed (empty, too long, odd characters,
    or more than one), so a typo never silently turns a signed-in request into a guest one.
    """
    return parse_authorization(_authorization(headers))


def parse_authorization(header: str | None) -> str | None:
    """user_token_from() for the Authorization header's value."""
    if header is None or not header.strip():
        return None
    if "user" not in header.lower():
        return None  # `Bearer <their partner token>` alone: a partner-only call
    matches = list(_USER_PART.finditer(header))
    if len(matches) != 1:
        if matches or re.search(r"(?:^|,)\s*user\b", header, re.IGNORECASE):
            raise InvalidUserToken("Authorization must carry one 'User <user_token>'")
        return None
    token = matches[0].group("token")
    if not _TOKEN.match(token):
        raise InvalidUserToken("The user token in Authorization is malformed")
    register_secret(token)
    return token


def user_token(authorization: str | None, *, required: bool) -> str | None:
    """The caller's user token from the Authorization header's value; 401 in Altegio's envelope when it
    is malformed, or missing but required."""
    try:
        token = parse_authorization(authorization)
    except InvalidUserToken as exc:
        raise Rejected(401, str(exc)) from exc
    if token is None and required:
        raise Rejected(401, "Authentication needed: send Authorization: User <user_token>.")
    return token
