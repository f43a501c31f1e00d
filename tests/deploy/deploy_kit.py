"""A project to deploy from (template Parameters, samconfig.toml, web/, deploy.env) and a deployed stack
in moto (bucket, CloudFront distribution, CloudFormation stack with the template's outputs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import yaml

from devstack.cfn import load_yaml
from devstack.template import ROOT

KEY = "page-key-0123456789abcdef"  # a PageApiKeyValue that passes the template's MinLength
LOG_ROLE = "CreateApiGatewayLogRole"
ROLE_ARN = "arn:aws:iam::123456789012:role/apigw-logs"
LOG_ROLE_SPEC = {"Type": "String", "Default": "false", "AllowedValues": ["true", "false"]}


def make_project(tmp: Path, *, log_role_param: bool = True, env: str | None = None, samconfig=None) -> Path:
    """template.yaml with the real template's Parameters (with or without CreateApiGatewayLogRole, which
    another change adds), the real samconfig.toml (or `samconfig`), a copy of web/, `env` as deploy.env."""
    root = tmp / "project"
    root.mkdir()
    params = dict(load_yaml(ROOT / "template.yaml")["Parameters"])
    if log_role_param:
        params.setdefault(LOG_ROLE, LOG_ROLE_SPEC)
    else:
        params.pop(LOG_ROLE, None)
    (root / "template.yaml").write_text(yaml.safe_dump({"Parameters": params}), encoding="utf-8")
    text = samconfig if samconfig is not None else (ROOT / "samconfig.toml").read_text(encoding="utf-8")
    (root / "samconfig.toml").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "web", root / "web")
    if env is not None:
        (root / "deploy.env").write_text(env, encoding="utf-8")
    return root


def good_env(**extra: str) -> str:
    values = {"AllowedLocationIds": "101", "PageApiKeyValue": KEY, **extra}
    return "".join(f"{k}={v}\n" for k, v in values.items())


def set_log_role(session) -> None:
    session.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ROLE_ARN}]
    )


def create_distribution(session) -> dict:
    origin = {
        "Id": "site",
        "DomainName": "b.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "",
        "Enabled": True,
        "DefaultRootObject": "index.html",
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    return session.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]


def deploy_stack(session, name: str, *, parameters: dict | None = None) -> dict:
    """What `sam deploy` leaves behind, as far as publishing needs: a CloudFormation stack whose bucket
    and outputs are the template's (moto's CloudFormation has no CloudFront, so the distribution is
    made beside it, as CloudFormation would). Returns the outputs."""
    distribution = create_distribution(session)
    secret = session.client("secretsmanager").create_secret(Name=f"{name}/altegio-partner-token")["ARN"]
    parameters = {"Stage": "dev", "AllowedLocationIds": "101", "PageApiKeyValue": KEY, **(parameters or {})}
    template = {
        "Parameters": {k: {"Type": "String", "NoEcho": k == "PageApiKeyValue"} for k in parameters},
        "Resources": {"SiteBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            "SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
            "SiteUrl": {"Value": f"https://{distribution['DomainName']}"},
            "ApiUrl": {
                "Value": f"https://abc123.execute-api.eu-west-1.amazonaws.com/{parameters['Stage']}/api/v1"
            },
            "PartnerStandardUsagePlanId": {"Value": "plan42"},
            "PartnerTokenSecretArn": {"Value": secret},
        },
    }
    cfn = session.client("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    return {**outputs, "DistributionId": distribution["Id"]}


def fake_sam(tmp: Path) -> tuple[Path, Path]:
    """A `sam` that records each call (and the parameters file it was given) instead of building or
    deploying, and fails the command FAKE_SAM_FAIL names; returns (script, log)."""
    log = tmp / "sam-calls.jsonl"
    script = tmp / "sam"
    script.write_text(
        f"""#!{sys.executable}
import json, os, pathlib, sys
entry = {{"argv": sys.argv[1:]}}
if "--parameter-overrides" in sys.argv:
    path = pathlib.Path(sys.argv[sys.argv.index("--parameter-overrides") + 1].removeprefix("file://"))
    entry["parameters"] = json.loads(path.read_text())
    entry["mode"] = oct(path.stat().st_mode & 0o777)
with open({str(log)!r}, "a") as f:
    f.write(json.dumps(entry) + "\\n")
sys.exit(1 if os.environ.get("FAKE_SAM_FAIL") == sys.argv[1] else 0)
""",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script, log


def sam_calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def run_deploy(root: Path, moto_url: str, sam: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m deploy` as make deploy runs it, against moto, with the fake sam."""
    # Nothing of this machine's own deploy settings: only what the test gives.
    mine = {*load_yaml(ROOT / "template.yaml")["Parameters"], LOG_ROLE, "DEPLOY_ENV_FILE", "CONFIG_ENV"}
    environ = {k: v for k, v in os.environ.items() if k not in mine and not k.startswith("PAGE_")}
    environ.update(AWS_ENDPOINT_URL=moto_url, SAM=str(sam), PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "deploy", "--root", str(root), *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
