"""Gateway settings: the environment the template sets, validated once per container, at init.

Every function reads them when its module is imported (app_factory.make_app), so a bad deployment fails
its cold start with SettingsError naming the variable instead of answering 502 to its first request.
A plain pydantic model fed from os.environ by each field's alias: pydantic-settings did the same and cost
~25 ms of every cold start (its sources, dotenv and typing machinery) for features nobody here uses.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    ValidationError,
)

from . import container

# Altegio allows 5/s and 200/min; whatever is configured, never more.
MAX_PER_SECOND, MAX_PER_MINUTE = 5, 200


class SettingsError(RuntimeError):
    """The environment is missing a variable or holds a malformed one; the message names each."""


def _ids(raw: object) -> object:
    """ "101, 202" (the template's form) as ids; anything else is left to validation."""
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


Seconds = Annotated[float, Field(gt=0)]
PerSecond = Annotated[int, Field(ge=1), AfterValidator(lambda v: min(v, MAX_PER_SECOND))]
PerMinute = Annotated[int, Field(ge=1), AfterValidator(lambda v: min(v, MAX_PER_MINUTE))]
Required = Annotated[str, Field(min_length=1)]
Ids = Annotated[frozenset[int], BeforeValidator(_ids)]
Networks = Annotated[tuple[IPvAnyNetwork, ...], BeforeValidator(_ids)]
# The abuse limits' figures are kept within sense rather than refused (a 0 would switch a limit off).
AtLeastOne = Annotated[int, AfterValidator(lambda v: max(1, v))]
Share = Annotated[float, AfterValidator(lambda v: min(1.0, max(0.05, v)))]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    altegio_base_url: Annotated[str, AfterValidator(lambda v: v.rstrip("/"))] = Field(
        "https://api.alteg.io/api/v1", validation_alias="ALTEGIO_BASE_URL"
    )
    partner_secret_id: Required = Field(validation_alias="PARTNER_SECRET_ID")
    cache_table: Required = Field(validation_alias="CACHE_TABLE")
    budget_table: Required = Field(validation_alias="BUDGET_TABLE")
    idempotency_table: str = Field("", validation_alias="IDEMPOTENCY_TABLE")  # POST book_record's alone
    allowed_location_ids: Ids = Field(frozenset(), validation_alias="ALLOWED_LOCATION_IDS")
    allowed_origin: str = Field("", validation_alias="ALLOWED_ORIGIN")
    upstream_per_second: PerSecond = Field(4, validation_alias="UPSTREAM_PER_SECOND")
    upstream_per_minute: PerMinute = Field(180, validation_alias="UPSTREAM_PER_MINUTE")
    connect_timeout: Seconds = Field(2.0, validation_alias="UPSTREAM_CONNECT_TIMEOUT")
    read_timeout: Seconds = Field(5.0, validation_alias="UPSTREAM_READ_TIMEOUT")
    write_read_timeout: Seconds = Field(8.0, validation_alias="UPSTREAM_WRITE_TIMEOUT")
    budget_wait_seconds: Annotated[float, Field(ge=0)] = Field(6.0, validation_alias="BUDGET_WAIT_SECONDS")
    # One upstream call, budget wait and retries included; the functions' timeout is 15 s.
    call_time_limit: Seconds = Field(11.0, validation_alias="UPSTREAM_CALL_TIME_LIMIT")
    # -- abuse limits (limits.py, caller.py, budget.py's fair share, allowlist.py's bookform ids) --------
    allowed_bookform_ids: Ids = Field(frozenset(), validation_alias="ALLOWED_BOOKFORM_IDS")
    # one SMS code per phone per this many seconds
    code_phone_interval: Annotated[float, Field(ge=0)] = Field(
        60.0, validation_alias="CODE_PHONE_INTERVAL_SECONDS"
    )
    code_phone_per_hour: AtLeastOne = Field(5, validation_alias="CODE_PHONE_PER_HOUR")
    code_visitor_per_hour: AtLeastOne = Field(10, validation_alias="CODE_VISITOR_PER_HOUR")
    # wrong codes (or passwords) for one phone or login, or from one address, within the window lock it
    wrong_code_limit: AtLeastOne = Field(5, validation_alias="WRONG_CODE_LIMIT")
    wrong_code_visitor_limit: AtLeastOne = Field(10, validation_alias="WRONG_CODE_VISITOR_LIMIT")
    wrong_code_window: Annotated[float, Field(ge=1)] = Field(
        900.0, validation_alias="WRONG_CODE_WINDOW_SECONDS"
    )
    lockout_seconds: Annotated[float, Field(ge=1)] = Field(900.0, validation_alias="LOCKOUT_SECONDS")
    page_api_key_id: str = Field(
        "", validation_alias="PAGE_API_KEY_ID"
    )  # requests with it came via CloudFront
    # the secret CloudFront's X-Origin-Verify header must match
    origin_verify_secret_id: str = Field("", validation_alias="ORIGIN_VERIFY_SECRET_ID")
    # of the minute's reads, the most one caller class may take, or while no other class called this minute
    caller_read_share: Share = Field(0.5, validation_alias="CALLER_READ_SHARE")
    caller_read_share_alone: Share = Field(0.85, validation_alias="CALLER_READ_SHARE_ALONE")
    # -- Altegio's webhooks (webhooks.py): the secret in the registered URL, the senders' addresses --------
    webhook_secret_id: str = Field("", validation_alias="WEBHOOK_SECRET_ID")
    webhook_source_cidrs: Networks = Field((), validation_alias="WEBHOOK_SOURCE_CIDRS")  # empty: any

    @classmethod
    def load(cls) -> Settings:
        names = {f.validation_alias for f in cls.model_fields.values()}
        try:
            return cls.model_validate({k: v for k, v in os.environ.items() if k in names})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: "
                + ("missing" if err["type"] == "missing" else err["msg"])
                for err in exc.errors()
            )
            raise SettingsError(f"Invalid environment: {problems}") from None


def get_settings() -> Settings:
    """The container's settings (read and validated on first use: at init, by make_app)."""
    return container.get("settings", Settings.load)
