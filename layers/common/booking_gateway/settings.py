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
    # -- abuse limits (limits.py, caller.py, budget.py's fair share, allowlist.py's bookform ids) --------
    allowed_bookform_ids: frozenset[int] = frozenset()
    code_phone_interval: float = 60.0  # one SMS code per phone per this many seconds
    code_phone_per_hour: int = 5
    code_visitor_per_hour: int = 10
    wrong_code_limit: int = 5  # wrong codes (or passwords) for one phone or login within the window lock it
    wrong_code_visitor_limit: int = 10  # wrong codes from one visitor address within the window lock it
    wrong_code_window: float = 900.0
    lockout_seconds: float = 900.0
    page_api_key_id: str = ""  # the page's API key id: requests with it came through CloudFront
    origin_verify_secret_id: str = ""  # the secret CloudFront's X-Origin-Verify header must match
    caller_read_share: float = 0.5  # of the minute's reads, the most one caller class may take...
    caller_read_share_alone: float = 0.85  # ...or while no other class has called within the minute


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
        # -- abuse limits ------------------------------------------------------------------------------
        allowed_bookform_ids=_ids(env.get("ALLOWED_BOOKFORM_IDS", "")),
        code_phone_interval=max(0.0, float(env.get("CODE_PHONE_INTERVAL_SECONDS", "60"))),
        code_phone_per_hour=max(1, int(env.get("CODE_PHONE_PER_HOUR", "5"))),
        code_visitor_per_hour=max(1, int(env.get("CODE_VISITOR_PER_HOUR", "10"))),
        wrong_code_limit=max(1, int(env.get("WRONG_CODE_LIMIT", "5"))),
        wrong_code_visitor_limit=max(1, int(env.get("WRONG_CODE_VISITOR_LIMIT", "10"))),
        wrong_code_window=max(1.0, float(env.get("WRONG_CODE_WINDOW_SECONDS", "900"))),
        lockout_seconds=max(1.0, float(env.get("LOCKOUT_SECONDS", "900"))),
        page_api_key_id=env.get("PAGE_API_KEY_ID", ""),
        origin_verify_secret_id=env.get("ORIGIN_VERIFY_SECRET_ID", ""),
        caller_read_share=min(1.0, max(0.05, float(env.get("CALLER_READ_SHARE", "0.5")))),
        caller_read_share_alone=min(1.0, max(0.05, float(env.get("CALLER_READ_SHARE_ALONE", "0.85")))),
    )
