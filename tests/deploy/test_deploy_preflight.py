"""make deploy's preflight: what is missing is named with how to fix it, before anything is built."""

from __future__ import annotations

import pytest
from deploy_kit import (
    KEY,
    LOG_ROLE,
    ROLE_ARN,
    deploy_stack,
    fake_sam,
    good_env,
    make_project,
    run_deploy,
    sam_calls,
    set_log_role,
)

from deploy import preflight, settings
from devstack.template import ROOT

SAMPLE_SAMCONFIG = (
    (ROOT / "samconfig.toml")
    .read_text()
    .replace(
        'parameter_overrides = "Stage=dev"',
        'parameter_overrides = "Stage=dev AllowedOrigin=https://booking.example.com '
        'AllowedLocationIds=101,202"',
    )
)


def load(root, config_env="default", **environ):
    return settings.load(config_env, root=root, environ=environ)


def problems_of(cfg) -> str:
    return "\n".join(cfg.problems)


# ---------- settings: parameters and the page ----------
def test_a_fresh_checkout_names_each_missing_parameter_and_where_to_put_it(tmp_path):
    cfg = load(make_project(tmp_path))
    text = problems_of(cfg)
    assert len(cfg.problems) == 2, text
    assert "AllowedLocationIds is not set (Comma-separated Altegio location" in text
    assert "add `AllowedLocationIds=...` to deploy.env (git-ignored) or export it" in text
    assert "PageApiKeyValue is not set" in text and "openssl rand -hex 24" in text
    assert "AllowedOrigin" not in text  # the dev stage may keep the template's origin


def test_an_empty_value_is_not_set(tmp_path):
    cfg = load(make_project(tmp_path, env="AllowedLocationIds=\nPageApiKeyValue=  \n"))
    assert [p.split(" (")[0] for p in cfg.problems] == [
        "AllowedLocationIds is not set",
        "PageApiKeyValue is not set",
    ]


def test_prod_also_needs_a_real_origin_in_its_own_file(tmp_path):
    root = make_project(tmp_path)
    (root / "deploy.env").write_text(good_env(AllowedOrigin="https://shop.salon.lv"))  # dev's, not prod's
    (root / "deploy.prod.env").write_text(good_env())
    cfg = load(root, "prod")
    assert (cfg.stack_name, cfg.region, cfg.stage) == ("altegio-gateway-prod", "eu-west-1", "prod")
    assert cfg.env_file.name == "deploy.prod.env"
    assert len(cfg.problems) == 1 and cfg.problems[0].startswith("AllowedOrigin is not set"), cfg.problems
    assert "deploy.prod.env" in cfg.problems[0]
    for origin, message in [
        ("https://booking.example.com", "is the template's sample value"),
        ("https://shop.example.org", "is a sample origin"),
        ("http://salon.lv", "is not an https origin"),
        ("https://salon.lv/book", "is not an https origin"),
    ]:
        (root / "deploy.prod.env").write_text(good_env(AllowedOrigin=origin))
        assert message in problems_of(load(root, "prod")), origin
    (root / "deploy.prod.env").write_text(good_env(AllowedOrigin="https://salon.lv"))
    cfg = load(root, "prod")
    assert cfg.problems == []
    assert cfg.parameters == {
        "Stage": "prod",
        "AllowedLocationIds": "101",
        "PageApiKeyValue": KEY,
        "AllowedOrigin": "https://salon.lv",
    }


def test_the_templates_sample_ids_are_refused(tmp_path):
    cfg = load(make_project(tmp_path, env=good_env(AllowedLocationIds="101,202", PAGE_LOCATION="101")))
    assert cfg.problems == ["AllowedLocationIds=101,202 is the template's sample value: set your own"]


def test_samples_written_to_samconfig_by_a_guided_deploy_cannot_come_back(tmp_path):
    root = make_project(tmp_path, env=good_env(AllowedLocationIds="7"), samconfig=SAMPLE_SAMCONFIG)
    text = problems_of(load(root))
    assert "samconfig.toml [default] parameter_overrides sets AllowedLocationIds" in text
    assert "remove it from samconfig.toml and keep it in deploy.env" in text
    assert "sets AllowedOrigin" not in text  # not one the dev stage must set
    # The real samconfig.toml holds none: only Stage.
    assert settings._parse_overrides(  # noqa: SLF001
        settings._samconfig_env(ROOT / "samconfig.toml", "prod", [])["deploy"]["parameters"][
            "parameter_overrides"
        ]
    ) == {"Stage": "prod"}


def test_the_environment_wins_over_the_file_and_unknown_names_are_refused(tmp_path):
    root = make_project(tmp_path, env=good_env(AllowedLocationIds="5") + "AllowedLocationId=6\n")
    cfg = load(root, AllowedLocationIds="8", PageApiKeyValue="x" * 24)
    assert cfg.parameters["AllowedLocationIds"] == "8" and cfg.parameters["PageApiKeyValue"] == "x" * 24
    assert cfg.problems == [
        "deploy.env sets AllowedLocationId, which is neither a template.yaml parameter nor one of "
        "PAGE_BOOKFORM, PAGE_LOCATION, PAGE_LOCALE, PAGE_LOCATIONS"
    ]


def test_values_are_checked_like_cloudformation_without_showing_the_secret(tmp_path):
    cfg = load(make_project(tmp_path, env=good_env(PageApiKeyValue="short-secret", AllowedLocationIds="1;2")))
    text = problems_of(cfg)
    assert "parameter PageApiKeyValue has the wrong length (12)" in text
    assert "parameter AllowedLocationIds does not match" in text
    assert "short-secret" not in text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            good_env(AllowedLocationIds="101,7"),
            "add `PAGE_BOOKFORM=<form id>` or `PAGE_LOCATION=<one of 101,7>`",
        ),
        (good_env(PAGE_LOCATION="202"), "PAGE_LOCATION=202 is not in AllowedLocationIds (101)"),
        (good_env(PAGE_BOOKFORM="one"), "PAGE_BOOKFORM=one is not a number"),
        (
            good_env(PAGE_LOCALE="fr-FR"),
            "PAGE_LOCALE=fr-FR is not one of the page's languages (de-DE, en-US, lv-LV)",
        ),
        (good_env(PAGE_LOCATIONS="{'101': 1}"), "PAGE_LOCATIONS is not JSON"),
        (
            good_env(PAGE_LOCATIONS='{"202": {"name": "B"}}'),
            "PAGE_LOCATIONS names 202, not in AllowedLocationIds",
        ),
    ],
)
def test_page_settings_are_checked_before_building(tmp_path, env, message):
    assert message in problems_of(load(make_project(tmp_path, env=env)))


def test_page_settings_of_a_one_location_deploy(tmp_path):
    env = good_env(
        PAGE_LOCALE="de-DE", PAGE_LOCATIONS='{"101": {"name": "Studio", "timeZone": "Europe/Riga"}}'
    )
    cfg = load(make_project(tmp_path, env=env))
    assert cfg.problems == []
    assert cfg.page == settings.PageSettings(
        location=101, locale="de-DE", locations={"101": {"name": "Studio", "timeZone": "Europe/Riga"}}
    )


# ---------- preflight against moto: credentials and the log role ----------
def test_no_credentials_is_said_plainly(aws, tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    import boto3

    result = preflight.check(load(make_project(tmp_path, env=good_env())), boto3.Session())
    assert len(result.problems) == 1 and result.problems[0].startswith(
        "No AWS credentials: set AWS credentials"
    )


def test_a_missing_api_gateway_log_role_stops_with_both_ways_out(aws, tmp_path):
    result = preflight.check(load(make_project(tmp_path, env=good_env())), aws)
    assert result.account == "123456789012"
    assert len(result.problems) == 1, result.problems
    text = result.problems[0]
    assert "API Gateway in account 123456789012, region eu-west-1 has no CloudWatch Logs role" in text
    assert f"add `{LOG_ROLE}=true` to deploy.env" in text
    assert (
        "aws apigateway update-account --region eu-west-1 --patch-operations "
        "op=replace,path=/cloudwatchRoleArn,value=<role arn>" in text
    )


def test_an_account_with_a_log_role_passes(aws, tmp_path):
    set_log_role(aws)
    result = preflight.check(load(make_project(tmp_path, env=good_env())), aws)
    assert result.ok and result.warnings == [] and result.caller.startswith("arn:aws:sts::123456789012:")


def test_creating_the_log_role_needs_the_template_parameter(aws, tmp_path):
    root = make_project(tmp_path, log_role_param=False, env=good_env(**{LOG_ROLE: "true"}))
    text = "\n".join(preflight.check(load(root), aws).problems)
    assert f"{LOG_ROLE}=true, but template.yaml has no {LOG_ROLE} parameter yet" in text
    assert f"deploy.env sets {LOG_ROLE}, which is neither a template.yaml parameter" in text


def test_creating_the_log_role_passes_and_warns_when_the_account_has_one(aws, tmp_path):
    cfg = load(make_project(tmp_path, env=good_env(**{LOG_ROLE: "true"})))
    assert preflight.check(cfg, aws).ok and cfg.parameters[LOG_ROLE] == "true"
    set_log_role(aws)
    result = preflight.check(cfg, aws)
    assert result.ok and len(result.warnings) == 1 and ROLE_ARN in result.warnings[0]


def test_dropping_the_flag_of_the_stack_that_made_the_log_role_is_refused(aws, tmp_path):
    deploy_stack(aws, "altegio-gateway-dev", parameters={LOG_ROLE: "true"})
    set_log_role(aws)  # what that stack did
    result = preflight.check(load(make_project(tmp_path, env=good_env())), aws)
    assert len(result.problems) == 1, result.problems
    assert "Stack altegio-gateway-dev created API Gateway's CloudWatch Logs role" in result.problems[0]
    assert f"keep `{LOG_ROLE}=true` in deploy.env" in result.problems[0]


# ---------- make deploy stops before sam ----------
def test_make_deploy_with_missing_parameters_exits_non_zero_without_calling_sam(aws, moto_server, tmp_path):
    set_log_role(aws)
    root = make_project(tmp_path)
    sam, log = fake_sam(tmp_path)
    done = run_deploy(root, moto_server.url, sam, "--config-env", "prod")
    assert done.returncode == 2, done.stderr
    assert "make deploy stopped before building (prod): 3 to fix" in done.stderr
    for name in ("AllowedLocationIds", "AllowedOrigin", "PageApiKeyValue"):
        assert f"  - {name} is not set" in done.stderr
    assert sam_calls(log) == []


def test_make_deploy_without_a_log_role_exits_non_zero_without_calling_sam(moto_server, aws, tmp_path):
    root = make_project(tmp_path, env=good_env())
    sam, log = fake_sam(tmp_path)
    done = run_deploy(root, moto_server.url, sam)
    assert done.returncode == 2
    assert "1 to fix" in done.stderr and "has no CloudWatch Logs role" in done.stderr
    assert sam_calls(log) == []
    assert KEY not in done.stdout + done.stderr
