"""`python -m deploy` (make deploy): preflight, sam build, sam deploy, publish the page, print where it is.

`python -m deploy preflight` only checks; `python -m deploy publish` only publishes web/ to the deployed
stack (after a change to the page alone).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from . import DeployError, preflight, settings
from .publish import INVALIDATE, page_config, publish
from .stack import Stack

STOPPED = 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.splitlines()[0])
    p.add_argument("step", nargs="?", choices=("all", "preflight", "publish"), default="all")
    p.add_argument("--config-env", default=os.environ.get("CONFIG_ENV") or settings.DEFAULT_ENV)
    p.add_argument("--env-file", type=Path, help="default: deploy.env, or deploy.<config env>.env")
    p.add_argument("--root", type=Path, default=settings.ROOT, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = settings.load(args.config_env, root=args.root, env_file=args.env_file)
    session = boto3.Session(region_name=cfg.region or None)
    try:
        if args.step != "publish":
            checked = preflight.check(cfg, session)
            for warning in checked.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            if not checked.ok:
                _stop(cfg, checked.problems)
                return STOPPED
            print(
                f"Preflight passed: stack {cfg.stack_name} in account {checked.account}, {cfg.region}, "
                f"as {checked.caller}"
            )
            if args.step == "preflight":
                return 0
            _sam(cfg, args.root)
        elif cfg.problems:
            _stop(cfg, cfg.problems)
            return STOPPED
        stack = Stack.load(session, cfg.stack_name, cfg.region)
        cloudfront = session.client("cloudfront")
        done = publish(
            session.client("s3", region_name=cfg.region),
            cloudfront,
            stack.outputs["SiteBucketName"],
            stack.distribution_id(cloudfront),
            args.root / "web",
            page_config(stack, cfg.page),
        )
    except (DeployError, ClientError, BotoCoreError) as e:
        print(f"make deploy stopped: {e}", file=sys.stderr)
        return STOPPED
    print(summary(stack, done, _token_stored(session, stack)))
    return 0


def _stop(cfg: settings.Settings, problems: list[str]) -> None:
    lines = [f"make deploy stopped before building ({cfg.config_env}): {len(problems)} to fix"]
    lines += [f"  - {p}" for p in problems]
    print("\n".join(lines), file=sys.stderr)


def _sam(cfg: settings.Settings, root: Path) -> None:
    sam = os.environ.get("SAM") or str(root / ".venv-sam" / "bin" / "sam")
    if not Path(sam).exists():
        sam = shutil.which("sam") or ""
    if not sam:
        raise DeployError("sam is not installed: run `make sam-venv`")
    _run([sam, "build", "--config-env", cfg.config_env], root)
    # The parameters go in a private file, not the command line: PageApiKeyValue is a secret.
    with tempfile.TemporaryDirectory(prefix="deploy-") as tmp:
        params = Path(tmp) / "parameters.yaml"
        params.touch(mode=0o600)
        params.write_text(json.dumps(cfg.parameters), encoding="utf-8")  # JSON is YAML; sam reads .yaml
        _run(
            [
                sam, "deploy", "--config-env", cfg.config_env,
                "--parameter-overrides", f"file://{params}", "--no-fail-on-empty-changeset",
            ],
            root,
        )  # fmt: skip


def _run(cmd: list[str], root: Path) -> None:
    print("$ " + " ".join(cmd), flush=True)
    done = subprocess.run(cmd, cwd=root, check=False)
    if done.returncode:
        raise DeployError(f"`sam {cmd[1]}` failed (exit {done.returncode})")


def _token_stored(session, stack: Stack) -> bool | None:
    arn = stack.outputs.get("PartnerTokenSecretArn")
    if not arn:
        return None
    try:
        sm = session.client("secretsmanager", region_name=stack.region)
        versions = sm.list_secret_version_ids(SecretId=arn)["Versions"]
    except (ClientError, BotoCoreError):  # only decides whether to print a reminder
        return None
    return any("AWSCURRENT" in v.get("VersionStages", []) for v in versions)


def summary(stack: Stack, done, token_stored: bool | None) -> str:
    out = stack.outputs
    region = f"--region {stack.region}"
    api = f"aws apigateway {{}} {region}"
    lines = [
        f"Published release {done.release}: {len(done.keys)} objects, invalidation {done.invalidation_id} "
        f"({', '.join(INVALIDATE)}); older releases stay for pages already open",
    ]
    if done.removed:
        lines.append(f"Removed page files of an older layout: {', '.join(done.removed)}")
    lines += [
        "",
        f"Page: {out['SiteUrl'].rstrip('/')}/",
        f"API:  {out['ApiUrl']}  (partners send x-api-key)",
    ]
    if token_stored is not True and out.get("PartnerTokenSecretArn"):
        lines += [
            "",
            "Store the Altegio partner token (no call reaches Altegio until it is there):",
            f"  aws secretsmanager put-secret-value {region} --secret-id {out['PartnerTokenSecretArn']} \\",
            '    --secret-string \'{"token": "<Altegio partner token>"}\'',
        ]
    plan = out.get("PartnerStandardUsagePlanId", "<PartnerStandardUsagePlanId output>")
    lines += [
        "",
        "Add a partner (README: Adding a partner):",
        f"  KEY_ID=$({api.format('create-api-key')} --name partner-<name> --enabled \\",
        "    --query id --output text)",
        f"  {api.format('create-usage-plan-key')} --usage-plan-id {plan} \\",
        '    --key-id "$KEY_ID" --key-type API_KEY',
        f'  {api.format("get-api-key")} --api-key "$KEY_ID" --include-value --query value --output text',
    ]
    if out.get("PartnerPremiumUsagePlanId"):
        lines.append(f"  (premium tier: --usage-plan-id {out['PartnerPremiumUsagePlanId']})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
