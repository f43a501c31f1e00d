"""`make deploy` from start to end, as `python -m deploy` runs it: preflight against moto, `sam build` and
`sam deploy` (a recording stand-in: nothing is built or sent to AWS), the page published to the stack
moto holds, and the summary."""

from __future__ import annotations

import json
from pathlib import Path

from deploy_kit import (
    KEY,
    deploy_stack,
    fake_sam,
    good_env,
    make_project,
    run_deploy,
    sam_calls,
    set_log_role,
)


def test_make_deploy_builds_deploys_publishes_and_says_where_everything_is(aws, moto_server, tmp_path):
    set_log_role(aws)
    outputs = deploy_stack(aws, "altegio-gateway-dev")
    root = make_project(tmp_path, env=good_env(PAGE_LOCALE="lv-LV"))
    sam, log = fake_sam(tmp_path)

    done = run_deploy(root, moto_server.url, sam)

    assert done.returncode == 0, done.stderr
    build, deploy = sam_calls(log)
    assert build["argv"] == ["build", "--config-env", "default"]
    ref = deploy["argv"][deploy["argv"].index("--parameter-overrides") + 1]
    assert deploy["argv"] == [
        "deploy",
        "--config-env",
        "default",
        "--parameter-overrides",
        ref,
        "--no-fail-on-empty-changeset",
    ]
    # samconfig's Stage plus deploy.env, from a private file that is gone afterwards.
    assert deploy["parameters"] == {"Stage": "dev", "AllowedLocationIds": "101", "PageApiKeyValue": KEY}
    assert deploy["mode"] == "0o600" and not Path(ref.removeprefix("file://")).exists()

    s3 = aws.client("s3")
    config = s3.get_object(Bucket=outputs["SiteBucketName"], Key="config.json")["Body"].read()
    assert json.loads(config) == {"apiBase": "/api/v1", "location": 101, "locale": "lv-LV", "analytics": []}
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=outputs["SiteBucketName"])["Contents"]]
    assert "index.html" in keys and any(k.startswith("v/") and k.endswith("/app.js") for k in keys)

    out = done.stdout
    assert f"Page: {outputs['SiteUrl']}/" in out
    assert f"API:  {outputs['ApiUrl']}" in out
    assert "Store the Altegio partner token" in out and outputs["PartnerTokenSecretArn"] in out
    assert "create-usage-plan-key --region eu-west-1 --usage-plan-id plan42" in out
    assert KEY not in out + done.stderr

    # Once the token is stored, the reminder goes; `publish` alone republishes without sam.
    aws.client("secretsmanager").put_secret_value(
        SecretId=outputs["PartnerTokenSecretArn"], SecretString='{"token": "t"}'
    )
    again = run_deploy(root, moto_server.url, sam, "publish")
    assert again.returncode == 0, again.stderr
    assert "Store the Altegio partner token" not in again.stdout and "Page: " in again.stdout
    assert len(sam_calls(log)) == 2
    listed = aws.client("cloudfront").list_invalidations(DistributionId=outputs["DistributionId"])
    assert listed["InvalidationList"]["Quantity"] == 2


def test_a_failed_sam_deploy_publishes_nothing(aws, moto_server, tmp_path):
    set_log_role(aws)
    outputs = deploy_stack(aws, "altegio-gateway-dev")
    root = make_project(tmp_path, env=good_env())
    sam, log = fake_sam(tmp_path)
    done = run_deploy(root, moto_server.url, sam, FAKE_SAM_FAIL="deploy")
    assert done.returncode == 2
    assert "make deploy stopped: `sam deploy` failed (exit 1)" in done.stderr
    assert [c["argv"][0] for c in sam_calls(log)] == ["build", "deploy"]
    assert "Contents" not in aws.client("s3").list_objects_v2(Bucket=outputs["SiteBucketName"])


def test_publishing_to_a_stack_that_is_not_there_says_so(aws, moto_server, tmp_path):
    set_log_role(aws)
    root = make_project(tmp_path, env=good_env())
    sam, _ = fake_sam(tmp_path)
    done = run_deploy(root, moto_server.url, sam, "publish")
    assert done.returncode == 2
    assert "Stack altegio-gateway-dev does not exist in eu-west-1: deploy it first" in done.stderr
