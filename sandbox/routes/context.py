"""What a route handler gets: the state, the parsed request and the caller."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from werkzeug.wrappers import Request

from ..booking import parse_datetime
from ..entities import Location, User
from ..envelope import ApiError, Reply, invalid, not_found, ok, unauthorized
from ..state import SandboxState


@dataclass(frozen=True)
class Route:
    name: str  # the spec's operationId
    method: str
    path: str  # werkzeug rule under /api/v1
    handler: Callable[..., Reply]
    need_user: bool = False


@dataclass
class Ctx:
    state: SandboxState
    request: Request
    user: User | None
    user_token: str | None
    admin: bool = False

    @property
    def base_url(self) -> str:
        return self.request.host_url

    @cached_property
    def body(self) -> dict[str, Any]:
        raw = self.request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "Request body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return body

    def location(self, location_id: int) -> Location:
        loc = self.state.world.locations.get(location_id)
        if loc is None:
            raise not_found("Location not found")
        return loc

    def arg(self, name: str) -> str | None:
        value = self.request.args.get(name)
        return value.strip() if value and value.strip() else None

    def ids(self, name: str) -> list[int]:
        """`name[]=1&name[]=2`, `name[]=1,2` and `name=1,2` all work; junk is ignored."""
        raw = self.request.args.getlist(f"{name}[]") + self.request.args.getlist(name)
        out: list[int] = []
        for part in ",".join(raw).split(","):
            if part.strip().isdigit() and int(part) not in out:
                out.append(int(part))
        return out

    def int_arg(self, name: str, default: int = 0) -> int:
        value = self.arg(name)
        return int(value) if value and value.lstrip("-").isdigit() else default

    def datetime_arg(self, name: str, loc: Location) -> datetime | None:
        value = self.arg(name)
        if value is None:
            return None
        parsed = parse_datetime(value, loc)
        if parsed is None:
            raise invalid(f"{name} must be an ISO 8601 date and time")
        return parsed

    def day_arg(self, name: str, loc: Location) -> date | None:
        """A location-local date; a full datetime is accepted and cut to its date."""
        value = self.arg(name)
        if value is None:
            return None
        return self.day_value(value, name, loc)

    @staticmethod
    def day_value(value: str, name: str, loc: Location) -> date:
        try:
            return date.fromisoformat(value) if len(value) == 10 else parse_datetime(value, loc).date()
        except (ValueError, AttributeError) as exc:
            raise invalid(f"{name} must be an ISO 8601 date (YYYY-MM-DD)") from exc

    def require_user(self) -> User:
        if self.user is None:
            raise unauthorized()
        return self.user

    def maybe_unwrapped(self, data: Any, status: int = 200) -> Reply:
        """Operations whose spec examples have no envelope; `unwrapped` makes the sandbox answer that way."""
        return Reply(status, data) if self.state.config.unwrapped else ok(data, status)
