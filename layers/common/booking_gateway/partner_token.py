"""The Altegio partner token, from Secrets Manager through Powertools parameters (cached per container
for POWERTOOLS_PARAMETERS_MAX_AGE seconds; `force=True` reads it again, e.g. after Altegio's 401).

The parameters utility imports boto3 (~100-200 ms); it is imported on the first upstream call, so a
container that only serves cache hits never pays for it. Its client comes from the container's botocore
session (dynamo.session: no second session to build). Its provider (client and cache) is a container
slot, not Powertools' process-wide default, so container.reset() forgets it with the rest.
"""

from __future__ import annotations

import os
import threading

from . import container, dynamo
from .masking import register_secret
from .settings import get_settings

_fetching = threading.Lock()  # concurrent first calls (the local stack's threads) fetch it once


def _provider():
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=dynamo.session().create_client("secretsmanager"))


def secrets_provider():
    """The container's Secrets Manager provider: the partner token's, and the origin secret's (caller.py)."""
    return container.get("partner_token.provider", _provider)


def get_partner_token(force: bool = False) -> str:
    max_age = int(os.environ.get("POWERTOOLS_PARAMETERS_MAX_AGE", "300"))
    with _fetching:
        secret = secrets_provider().get(
            get_settings().partner_secret_id, transform="json", max_age=max_age, force_fetch=force
        )
    token = str(secret["token"])
    register_secret(token)  # never in a log line, whatever logs it
    return token
