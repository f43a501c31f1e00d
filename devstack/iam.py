"""Every AWS call a function makes, checked against that function's policies in the template, as IAM would.

In AWS each function runs under its own role; here all of them share one process and one set of fake
credentials, so moto would allow anything. Instead, while a function runs (FunctionPool sets `current`),
each botocore call is turned into the IAM actions and resource ARNs it needs and refused with
AccessDeniedException unless the function's statements allow every one (an explicit Deny wins). A
refusal is also kept in `AccessCheck.denied`, because the layer degrades quietly on DynamoDB errors and a
missing permission would otherwise only show as a slower, uncached gateway.

Powertools' parameter cache (the partner token) is kept per function too: in AWS each function's containers
fetch the secret themselves, so one function's read must not hide another's missing permission.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from .cfn import ACCOUNT
from .template import Function

log = logging.getLogger("devstack")

# DynamoDB transaction items and the action IAM checks for each.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")  # Secrets Manager appends this to a secret's ARN


@dataclass(frozen=True)
class Caller:
    """The function whose code is running on this thread, and the check its calls go through."""

    fn: Function
    check: AccessCheck | None = None


current: ContextVar[Caller | None] = ContextVar("devstack_caller", default=None)


@dataclass
class AccessCheck:
    """Refuses what a function's policies do not allow; `denied` keeps one line per refusal."""

    denied: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def refusal(self, fn: Function, service: str, operation: str, params: dict, region: str) -> str | None:
        """None when allowed, else the AccessDenied message for the first action not allowed."""
        for action, resource in needed(service, operation, params, region):
            if not allows(fn.policies, action, resource):
                message = (
                    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{fn.logical_id}Role/{fn.logical_id} "
                    f"is not authorized to perform: {action} on resource: {resource} because no "
                    f"identity-based policy allows the {action} action"
                )
                if fn.unreadable_policies:
                    message += f" (not readable locally: {', '.join(fn.unreadable_policies)})"
                with self._lock:
                    self.denied.append(f"{fn.logical_id}: {action} on {resource}")
                return message
        return None


def needed(service: str, operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    """The (action, resource ARN) pairs IAM evaluates for one API call; "*" where no resource applies."""
    if service == "dynamodb":
        return _dynamodb(operation, params, region)
    if service == "secretsmanager" and params.get("SecretId"):
        return [(f"secretsmanager:{operation}", _secret_arn(str(params["SecretId"]), region))]
    return [(f"{service}:{operation}", "*")]


def _table_arn(table: str, region: str, index: str | None = None) -> str:
    arn = table if table.startswith("arn:") else f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _dynamodb(operation: str, params: dict, region: str) -> list[tuple[str, str]]:
    if "TransactItems" in params:
        out = []
        for item in params["TransactItems"]:
            for kind, body in item.items():
                out.append((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table_arn(body["TableName"], region)))
        return out
    if "RequestItems" in params:  # BatchGetItem, BatchWriteItem: the batch action on every table
        return [(f"dynamodb:{operation}", _table_arn(t, region)) for t in params["RequestItems"]]
    if "TableName" in params:
        return [(f"dynamodb:{operation}", _table_arn(params["TableName"], region, params.get("IndexName")))]
    return [(f"dynamodb:{operation}", "*")]


def _secret_arn(secret_id: str, region: str) -> str:
    if secret_id.startswith("arn:"):
        return _SECRET_SUFFIX.sub("", secret_id)  # the template's ARNs are local: name only
    return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{secret_id}"


def allows(statements: tuple[dict, ...], action: str, resource: str) -> bool:
    """IAM's identity-policy evaluation for one action on one resource: an explicit Deny wins, then any
    Allow; nothing allows by default (template.py refuses the elements this does not evaluate)."""
    allowed = False
    for st in statements:
        if not (_matches(st.get("Action"), action, fold=True) and _matches(st.get("Resource"), resource)):
            continue
        if st.get("Effect") == "Deny":
            return False
        allowed = allowed or st.get("Effect") == "Allow"
    return allowed


def _matches(patterns: Any, value: str, fold: bool = False) -> bool:
    """IAM's wildcards (* and ?); actions compare case-insensitively, resources exactly."""
    for pattern in patterns if isinstance(patterns, list) else [patterns]:
        if pattern is None:
            continue
        pattern, subject = (str(pattern).lower(), value.lower()) if fold else (str(pattern), value)
        if fnmatch.fnmatchcase(subject, pattern.replace("[", "[[]")):
            return True
    return False


_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Hook botocore's one funnel of API calls and Powertools' parameter cache key, once per process.
    Outside an invocation (the stack's own set-up, tests' look-ups) nothing changes."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from botocore.client import BaseClient

        real_call = BaseClient._make_api_call

        def checked_call(self, operation_name, api_params):
            caller = current.get()
            if caller is not None and caller.check is not None:
                model = self.meta.service_model
                service = model.signing_name or model.endpoint_prefix
                message = caller.check.refusal(
                    caller.fn, service, operation_name, api_params, self.meta.region_name
                )
                if message is not None:
                    log.error("AccessDenied: %s", message)
                    raise ClientError(
                        {
                            "Error": {"Code": "AccessDeniedException", "Message": message},
                            "ResponseMetadata": {"HTTPStatusCode": 400},
                        },
                        operation_name,
                    )
            return real_call(self, operation_name, api_params)

        BaseClient._make_api_call = checked_call
        _per_function_parameter_cache()
        _installed = True


def _per_function_parameter_cache() -> None:
    try:
        from aws_lambda_powertools.utilities.parameters.base import BaseProvider
    except ImportError:  # a template whose functions do not use Powertools
        return
    real_key = BaseProvider._build_cache_key

    def key(self, *args, **kwargs):
        caller = current.get()
        base = real_key(self, *args, **kwargs)
        return base if caller is None else (caller.fn.logical_id, *base)

    BaseProvider._build_cache_key = key
