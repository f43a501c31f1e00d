"""The Altegio partner token, from Secrets Manager through Powertools parameters (cached per container)."""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities import parameters

from .masking import register_secret
from .settings import get_settings


def get_partner_token(force: bool = False) -> str:
    max_age = int(os.environ.get("POWERTOOLS_PARAMETERS_MAX_AGE", "300"))
    secret = parameters.get_secret(
        get_settings().partner_secret_id, transform="json", max_age=max_age, force_fetch=force
    )
    token = str(secret["token"])
    register_secret(token)  # never in a log line, whatever logs it
    return token
