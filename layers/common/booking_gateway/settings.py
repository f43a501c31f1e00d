"""Gateway settings, read once per container from the environment the template sets."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    altegio_base_url: str
    partner_secret_id: str
    cache_table: str
    budget_table: str
    idempotency_table: str
    allowed_location_ids: frozenset[int]
    allowed_origin: str
    upstream_per_second: int
    upstream_per_minute: int
    connect_timeout: float
    read_timeout: float
    write_read_timeout: float
    budget_wait_seconds: float
    call_time_limit: float


def _ids(raw: str) -> frozenset[int]:
    return frozenset(int(part) for part in raw.split(",") if part.strip())


@functools.cache
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        altegio_base_url=env.get("ALTEGIO_BASE_URL", "https://api.alteg.io/api/v1").rstrip("/"),
        partner_secret_id=env.get("PARTNER_SECRET_ID", ""),
        cache_table=env.get("CACHE_TABLE", ""),
        budget_table=env.get("BUDGET_TABLE", ""),
        idempotency_table=env.get("IDEMPOTENCY_TABLE", ""),
        allowed_location_ids=_ids(env.get("ALLOWED_LOCATION_IDS", "")),
        allowed_origin=env.get("ALLOWED_ORIGIN", ""),
        # Altegio allows 5/s and 200/min; never configure above that.
        upstream_per_second=min(int(env.get("UPSTREAM_PER_SECOND", "4")), 5),
        upstream_per_minute=min(int(env.get("UPSTREAM_PER_MINUTE", "180")), 200),
        connect_timeout=float(env.get("UPSTREAM_CONNECT_TIMEOUT", "2")),
        read_timeout=float(env.get("UPSTREAM_READ_TIMEOUT", "5")),
        write_read_timeout=float(env.get("UPSTREAM_WRITE_TIMEOUT", "8")),
        budget_wait_seconds=float(env.get("BUDGET_WAIT_SECONDS", "6")),
        # One upstream call, budget wait and retries included; the functions' timeout is 15 s.
        call_time_limit=float(env.get("UPSTREAM_CALL_TIME_LIMIT", "11")),
    )
