"""What must hold before anything is built: the settings' own problems, AWS credentials, and API Gateway's
account-level CloudWatch Logs role (the stage's access logs fail a first deploy without it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

from .settings import LOG_ROLE_PARAM, Settings
from .stack import deployed_parameters

CREDENTIALS_HELP = (
    "set AWS credentials for the account to deploy to (`aws configure`, `aws sso login --profile <p>` "
    "then `export AWS_PROFILE=<p>`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
)


@dataclass
class Result:
    problems: list[str]
    warnings: list[str] = field(default_factory=list)
    account: str = ""
    caller: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def check(settings: Settings, session) -> Result:
    result = Result(list(settings.problems))
    if not settings.region:
        return result
    try:
        ident = session.client("sts", region_name=settings.region).get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError):
        result.problems.append(f"No AWS credentials: {CREDENTIALS_HELP}")
        return result
    except ClientError as e:
        result.problems.append(f"AWS refused the credentials ({_error(e)}): {CREDENTIALS_HELP}")
        return result
    except BotoCoreError as e:
        result.problems.append(f"AWS cannot be reached to check the credentials ({e})")
        return result
    result.account, result.caller = ident["Account"], ident["Arn"]
    _log_role(settings, session, result)
    return result


def _log_role(settings: Settings, session, result: Result) -> None:
    where = f"account {result.account}, region {settings.region}"
    try:
        apigateway = session.client("apigateway", region_name=settings.region)
        role = apigateway.get_account().get("cloudwatchRoleArn")
        deployed = deployed_parameters(session, settings.stack_name, settings.region)
    except (ClientError, BotoCoreError) as e:
        result.problems.append(f"Cannot read API Gateway's account settings in {where} ({_error(e)})")
        return
    if settings.creates_log_role:
        if LOG_ROLE_PARAM not in settings.specs:
            result.problems.append(
                f"{LOG_ROLE_PARAM}=true, but template.yaml has no {LOG_ROLE_PARAM} parameter yet"
            )
        elif role and deployed.get(LOG_ROLE_PARAM, "").lower() != "true":
            result.warnings.append(
                f"API Gateway in {where} already logs with {role}; {LOG_ROLE_PARAM}=true makes this stack "
                "create its own role and point the account at it instead"
            )
        return
    if deployed.get(LOG_ROLE_PARAM, "").lower() == "true":
        result.problems.append(
            f"Stack {settings.stack_name} created API Gateway's CloudWatch Logs role for {where} "
            f"({LOG_ROLE_PARAM}=true at its last deploy); deploying without it deletes the role the account "
            f"points at: keep `{LOG_ROLE_PARAM}=true` in {settings.env_file.name}"
        )
    elif not role:
        result.problems.append(
            f"API Gateway in {where} has no CloudWatch Logs role, which the stage's access logs need "
            f"(a first deploy fails without it). Either add `{LOG_ROLE_PARAM}=true` to "
            f"{settings.env_file.name} (the stack creates the role and sets it for the account; do that in "
            "one stack per account and region), or set an existing role that has the managed policy "
            "AmazonAPIGatewayPushToCloudWatchLogs: `aws apigateway update-account --region "
            f"{settings.region} --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role arn>`"
        )


def _error(e: Exception) -> str:
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        return f"{err.get('Code', '')}: {err.get('Message', '')}".strip(": ")
    return str(e)
