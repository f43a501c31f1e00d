"""template.yaml's operations and abuse protection, read as CloudFormation would: conditions resolved by
devstack's resolver for given parameters, the CloudFront Function run with node.

AWS WAF, CloudFront and CloudWatch cannot run locally; what can be checked here is that the template says
what README and the issue promise, for the default parameters and for the optional ones.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from devstack.cfn import TemplateError, load_yaml
from devstack.template import ROOT, Template

RAW = load_yaml(ROOT / "template.yaml")
RES = RAW["Resources"]
LOCAL = {"PageApiKeyValue": "p" * 24, "AltegioBaseUrl": "http://127.0.0.1:1/api/v1"}
ORIGIN_VERIFY = {"Fn::Sub": "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString:value}}"}


def template(**parameters) -> Template:
    return Template(ROOT / "template.yaml", parameters, LOCAL)


def of_type(kind: str) -> dict[str, dict]:
    return {lid: r for lid, r in RES.items() if r["Type"] == kind}


def test_api_gateway_log_role_only_when_asked_and_the_stage_waits_for_it():
    assert RAW["Parameters"]["CreateApiGatewayLogRole"]["Default"] == "false"
    for lid in ("ApiGatewayCloudWatchRole", "ApiGatewayAccount"):
        assert RES[lid]["Condition"] == "CreateLogRole" and RES[lid]["DeletionPolicy"] == "Retain"
    role = RES["ApiGatewayCloudWatchRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
    ]
    assert RES["ApiGatewayAccount"]["Properties"]["CloudWatchRoleArn"] == {
        "Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]
    }
    # The API (and so its deployment and stage) waits for a handle whose metadata refers to the account
    # setting when that exists: a DependsOn that holds whether or not the role is created.
    assert RES["BookingApi"]["DependsOn"] == "ApiGatewayAccountReady"
    ready = RES["ApiGatewayAccountReady"]["Metadata"]["AccountSettings"]
    assert ready == {"Fn::If": ["CreateLogRole", {"Ref": "ApiGatewayAccount"}, ""]}
    output = RAW["Outputs"]["ApiGatewayLogRoleCreated"]["Value"]
    for value, created in (("true", True), ("false", False)):
        t = template(CreateApiGatewayLogRole=value)
        assert t.resolver.condition("CreateLogRole") is created
        assert t.resolve(output) == value


def test_logs_are_kept_for_the_retention_parameter():
    assert RAW["Globals"]["Function"]["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogs"}
    groups = of_type("AWS::Logs::LogGroup")
    assert set(groups) == {"FunctionLogs", "ApiAccessLogs"}
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert (
        template(LogRetentionDays=90).resolve(groups["FunctionLogs"]["Properties"])["RetentionInDays"] == "90"
    )
    api = RES["BookingApi"]["Properties"]["AccessLogSetting"]["DestinationArn"]
    assert api == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}


def test_every_alarm_notifies_the_topic_and_lambda_is_watched():
    alarms = of_type("AWS::CloudWatch::Alarm")
    for lid, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}] == props["OKActions"], lid
    metrics = {(a["Properties"].get("Namespace"), a["Properties"].get("MetricName")) for a in alarms.values()}
    assert {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles"), ("AWS/ApiGateway", "5XXError")} <= metrics
    booking = alarms["BookRecordErrorsAlarm"]["Properties"]["Metrics"]
    watched = {m["MetricStat"]["Metric"]["MetricName"] for m in booking if "MetricStat" in m}
    assert watched == {"Errors", "Throttles"}
    assert all(
        m["MetricStat"]["Metric"]["Dimensions"]
        == [{"Name": "FunctionName", "Value": {"Ref": "BookRecordFunction"}}]
        for m in booking
        if "MetricStat" in m
    )
    assert RES["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"
    assert template().resolver.condition("HasAlarmEmail") is False
    assert template(AlarmEmail="ops@example.com").resolver.condition("HasAlarmEmail") is True


def test_booking_concurrency_reserved_only_when_set():
    assert (
        RAW["Parameters"]["BookRecordReservedConcurrency"]["Default"] == 0
    )  # a fresh account's deploy works
    reserved = RES["BookRecordFunction"]["Properties"]["ReservedConcurrentExecutions"]
    assert template().resolve({"x": reserved}) == {}  # AWS::NoValue: no reservation
    assert template(BookRecordReservedConcurrency=10).resolve({"x": reserved}) == {"x": "10"}
    others = [lid for lid, r in of_type("AWS::Serverless::Function").items() if lid != "BookRecordFunction"]
    assert not [lid for lid in others if "ReservedConcurrentExecutions" in RES[lid]["Properties"]]


def test_policies_name_exact_actions_on_the_stacks_own_resources():
    """Least privilege as a property of the whole template: no wildcard, no table-wide CRUD template, no
    action the layer never calls. The local stack enforces the statements per call (tests/devstack)."""
    used = {
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "secretsmanager:GetSecretValue",
    }
    t = template()
    arns = {t.resolver.get_att(lid, "Arn") for lid in t.tables} | {s.arn for s in t.secrets.values()}
    cache = t.resolver.get_att("CacheTable", "Arn")
    touching_cache = set()
    for lid, fn in t.functions.items():
        assert not fn.unreadable_policies, lid
        for st in fn.policies:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            assert st["Effect"] == "Allow" and set(actions) <= used, (lid, actions)
            assert st["Resource"] in arns, (lid, st["Resource"])
            if st["Resource"] == cache:
                touching_cache.add(lid)
        assert "*" not in json.dumps(fn.policies), lid
    assert not t.functions["OpenApiFunction"].policies
    assert len(t.functions) - len(touching_cache) - 1 == 11  # the writes that never touch the cache
    assert not [
        st
        for fn in t.functions.values()
        for st in fn.policies
        if "IdempotencyTable" in st["Resource"] and fn.logical_id != "BookRecordFunction"
    ]


def test_waf_counts_the_visitor_behind_cloudfront_and_the_address_otherwise():
    cf = RES["SiteDistribution"]["Properties"]["DistributionConfig"]
    api_origin = next(o for o in cf["Origins"] if o["Id"] == "api")
    headers = {h["HeaderName"]: h["HeaderValue"] for h in api_origin["OriginCustomHeaders"]}
    assert headers["X-Origin-Verify"] == ORIGIN_VERIFY  # a dynamic reference: no secret in the template
    spec = RES["OriginVerifySecret"]["Properties"]["GenerateSecretString"]
    assert spec["GenerateStringKey"] == "value" and spec["PasswordLength"] >= 32
    api_behaviour = next(b for b in cf["CacheBehaviors"] if b["PathPattern"] == "/api/*")
    assert api_behaviour["FunctionAssociations"] == [
        {
            "EventType": "viewer-request",
            "FunctionARN": {"Fn::GetAtt": ["ViewerIpFunction", "FunctionMetadata.FunctionARN"]},
        }
    ]

    rules = {r["Name"]: r for r in RES["ApiWebAcl"]["Properties"]["Rules"]}
    verified = {
        "ByteMatchStatement": {
            "FieldToMatch": {"SingleHeader": {"Name": "x-origin-verify"}},
            "PositionalConstraint": "EXACTLY",
            "SearchString": ORIGIN_VERIFY,
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    not_verified = {"NotStatement": {"Statement": verified}}

    def scope(name):
        down = rules[name]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
        return down["AndStatement"]["Statements"] if "AndStatement" in down else [down]

    for name, limit, trusted, auth in (
        ("auth-per-visitor", "WafAuthRateLimit", True, True),
        ("auth-per-address", "WafAuthRateLimit", False, True),
        ("rate-per-visitor", "WafRateLimit", True, False),
        ("rate-per-address", "WafRateLimit", False, False),
    ):
        rate = rules[name]["Statement"]["RateBasedStatement"]
        assert rules[name]["Action"] == {"Block": {}} and rate["Limit"] == {"Ref": limit}
        if trusted:
            assert rate["AggregateKeyType"] == "FORWARDED_IP"
            assert rate["ForwardedIPConfig"] == {"HeaderName": "X-Viewer-Ip", "FallbackBehavior": "MATCH"}
        else:
            assert rate["AggregateKeyType"] == "IP" and "ForwardedIPConfig" not in rate
        assert scope(name)[0] == (verified if trusted else not_verified)
        assert len(scope(name)) == (2 if auth or name == "rate-per-address" else 1)
    # Altegio's webhook sender is not a partner: its deliveries count against a limit of their own.
    webhooks = rules["webhooks-per-address"]
    rate = webhooks["Statement"]["RateBasedStatement"]
    assert webhooks["Action"] == {"Block": {}} and rate["Limit"] == {"Ref": "WafWebhookRateLimit"}
    assert rate["AggregateKeyType"] == "IP" and "ForwardedIPConfig" not in rate
    route = rate["ScopeDownStatement"]
    assert route["RegexMatchStatement"]["RegexString"] == _webhook_route_regex()
    assert scope("rate-per-address")[1] == {"NotStatement": {"Statement": route}}
    assert len({r["Priority"] for r in rules.values()}) == len(rules)
    # The page's key without the origin secret is blocked before any rate rule.
    first = min(rules.values(), key=lambda r: r["Priority"])
    assert first["Name"] == "page-key-only-through-cloudfront" and first["Action"] == {"Block": {}}
    key_match, missing_secret = first["Statement"]["AndStatement"]["Statements"]
    assert key_match["ByteMatchStatement"]["SearchString"] == {"Ref": "PageApiKeyValue"}
    assert missing_secret == not_verified
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in rules.values()
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert managed == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}


@pytest.mark.parametrize(
    "path, tight",
    [
        ("/dev/api/v1/book_code/101", True),
        ("/dev/api/v1/user/auth", True),
        ("/dev/api/v1/booking/auth/", True),
        ("/dev/api/v1/book_code/101/", True),
        ("/dev/api/v1/book_record/101", False),
        ("/dev/api/v1/booking/auth/x", False),
        ("/dev/api/v1/user/auth_other", False),
        ("/dev/api/v1/book_times/101/1/2026-12-05", False),
    ],
)
def test_the_tight_rules_cover_the_code_and_auth_paths(path, tight):
    """The regex the auth rules scope down to, as WAF sees the path (stage prefix included)."""
    rule = next(r for r in RES["ApiWebAcl"]["Properties"]["Rules"] if r["Name"] == "auth-per-visitor")
    regex = rule["Statement"]["RateBasedStatement"]["ScopeDownStatement"]["AndStatement"]["Statements"][1]
    assert bool(re.search(regex["RegexMatchStatement"]["RegexString"], path)) is tight


def _webhook_route_regex() -> str:
    rule = next(
        r for r in RES["ApiWebAcl"]["Properties"]["Rules"] if r["Name"] == "aws-common-body-except-webhooks"
    )
    labels, route = rule["Statement"]["AndStatement"]["Statements"]
    return route["NotStatement"]["Statement"]["RegexMatchStatement"]["RegexString"]


def test_the_common_rule_sets_body_rules_block_everywhere_but_the_webhook_route():
    """A webhook carries a record with free text (the client's comment): the common rule set's body rules
    (and its missing-User-Agent rule) must not drop a delivery, and must still block every other path."""
    rules = {r["Name"]: r for r in RES["ApiWebAcl"]["Properties"]["Rules"]}
    common = rules["aws-common"]["Statement"]["ManagedRuleGroupStatement"]
    counted = {o["Name"] for o in common["RuleActionOverrides"] if o["ActionToUse"] == {"Count": {}}}
    assert counted == {
        "SizeRestrictions_BODY",
        "CrossSiteScripting_BODY",
        "GenericLFI_BODY",
        "GenericRFI_BODY",
        "EC2MetaDataSSRF_BODY",
        "NoUserAgent_HEADER",
    }
    block = rules["aws-common-body-except-webhooks"]
    assert block["Action"] == {"Block": {}} and block["Priority"] > rules["aws-common"]["Priority"]
    labels = block["Statement"]["AndStatement"]["Statements"][0]["OrStatement"]["Statements"]
    keys = {s["LabelMatchStatement"]["Key"] for s in labels}
    prefix = "awswaf:managed:aws:core-rule-set:"
    assert keys == {prefix + name.replace("_BODY", "_Body").replace("_HEADER", "_Header") for name in counted}


@pytest.mark.parametrize(
    "path, webhook",
    [
        ("/dev/api/v1/webhooks/altegio/abcDEF123", True),
        ("/api/v1/webhooks/altegio/abcDEF123", True),
        ("/dev/api/v1/webhooks/altegio", True),
        ("/dev/api/v1/webhooks/altegio/abc/def", False),
        ("/dev/api/v1/book_record/202", False),
        ("/dev/api/v1/book_record/202/webhooks/altegio/x", False),
    ],
)
def test_the_webhook_route_as_waf_sees_it(path, webhook):
    assert bool(re.search(_webhook_route_regex(), path)) is webhook


def test_the_webhook_function_reads_its_secret_and_the_cache_only():
    fn = template().functions["WebhookAltegioFunction"]
    by_resource = {}
    for st in fn.policies:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        by_resource.setdefault(st["Resource"], set()).update(actions)
    t = template()
    assert by_resource == {
        t.resolver.get_att("CacheTable", "Arn"): {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:UpdateItem",
        },
        t.secrets["WebhookSecret"].arn: {"secretsmanager:GetSecretValue"},
    }  # no budget, no partner token: it never calls Altegio
    assert {(r.method, r.path, r.api_key_required) for r in fn.routes} == {
        ("POST", "/api/v1/webhooks/altegio/{secret}", False),
        ("POST", "/api/v1/webhooks/altegio", False),
    }
    env = RES["WebhookAltegioFunction"]["Properties"]["Environment"]["Variables"]
    assert env == {
        "WEBHOOK_SECRET_ID": {"Ref": "WebhookSecret"},
        "WEBHOOK_SOURCE_CIDRS": {"Ref": "WebhookSourceCidrs"},
    }
    spec = RES["WebhookSecret"]["Properties"]["GenerateSecretString"]
    assert (
        spec["GenerateStringKey"] == "value" and spec["PasswordLength"] >= 32 and spec["ExcludePunctuation"]
    )
    assert (
        template(WebhookSourceCidrs="203.0.113.0/24,2001:db8::/32")
        .functions["WebhookAltegioFunction"]
        .env["WEBHOOK_SOURCE_CIDRS"]
        == "203.0.113.0/24,2001:db8::/32"
    )


def test_failed_or_unreadable_webhooks_are_alarmed():
    alarm = RES["WebhookFailuresAlarm"]["Properties"]
    watched = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert watched == {"WebhookFailed", "WebhookInvalid"}  # what webhooks.py counts for 503 and 4xx
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def _run_cloudfront_function(event: dict) -> dict:
    node = shutil.which("node")
    assert node, "node is needed (make node) to run the CloudFront Function"
    code = RES["ViewerIpFunction"]["Properties"]["FunctionCode"]
    script = code + f"\nhandler({json.dumps(event)}).then(r => process.stdout.write(JSON.stringify(r)));\n"
    done = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_viewer_ip_function_sets_the_visitors_address_and_drops_a_forged_one():
    config = RES["ViewerIpFunction"]["Properties"]["FunctionConfig"]
    assert config["Runtime"] == "cloudfront-js-2.0"
    event = {
        "version": "1.0",
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "POST",
            "uri": "/api/v1/book_code/101",
            "headers": {"x-viewer-ip": {"value": "10.9.9.9"}, "x-forwarded-for": {"value": "10.1.1.1"}},
        },
    }
    out = _run_cloudfront_function(event)
    assert out["headers"]["x-viewer-ip"] == {"value": "198.51.100.7"}
    assert out["headers"]["x-forwarded-for"] == {"value": "10.1.1.1"}  # untouched: WAF does not read it
    assert out["uri"] == "/api/v1/book_code/101" and out["method"] == "POST"
    ipv6 = _run_cloudfront_function({**event, "viewer": {"ip": "2001:db8::1"}})
    assert ipv6["headers"]["x-viewer-ip"] == {"value": "2001:db8::1"}


def test_cloudfront_tls_logs_and_acl_follow_their_parameters():
    cfg = RES["SiteDistribution"]["Properties"]["DistributionConfig"]
    default = template().resolve(cfg)
    assert default["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert "Logging" not in default and "WebACLId" not in default and "Aliases" not in default
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/page/1"
    custom = template(
        SiteDomainName="book.example.com",
        SiteCertificateArn=cert,
        SiteLogBucket="logs.s3.amazonaws.com",
        CloudFrontWebAclArn=acl,
    ).resolve(cfg)
    assert custom["ViewerCertificate"] == {
        "AcmCertificateArn": cert,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert custom["Aliases"] == ["book.example.com"] and custom["WebACLId"] == acl
    assert custom["Logging"]["Bucket"] == "logs.s3.amazonaws.com"
    # The page keeps its security headers and origin access control.
    assert cfg["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "SiteSecurityHeaders"}
    site = next(o for o in cfg["Origins"] if o["Id"] == "site")
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOac", "Id"]}
    bucket = RES["SiteBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}


def test_api_gateway_stage_tracing_is_off():
    """Its segments record the request path (record hashes, review tokens) and cannot be masked; the
    functions' traces are masked (test_trace_masking.py)."""
    assert RES["BookingApi"]["Properties"]["TracingEnabled"] is False


def test_tracing_is_a_deployment_choice_off_by_default():
    """Off: no X-Ray SDK in any function (its layer is not attached) and Powertools told so; on: the SDK's
    layer, active tracing and the tracer (observability.py) in every function."""
    assert RAW["Parameters"]["Tracing"]["Default"] == "off"
    g = RAW["Globals"]["Function"]
    assert g["Tracing"] == {"Fn::If": ["TracingOn", "Active", "PassThrough"]}
    assert RES["TracingLayer"]["Condition"] == "TracingOn"
    for value, layers, disabled in (("off", ["common"], "true"), ("on", ["common", "tracing"], "false")):
        t = template(Tracing=value)
        assert t.resolve(g["Tracing"]) == ("Active" if value == "on" else "PassThrough")
        for lid, fn in t.functions.items():
            assert [d.name for d in fn.layers] == layers, lid
            assert fn.env["POWERTOOLS_TRACE_DISABLED"] == disabled, lid


def test_every_checkov_skip_says_why():
    skips = [
        (lid, skip)
        for lid, r in RES.items()
        for skip in ((r.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
    ]
    assert skips
    for lid, skip in skips:
        assert skip["id"].startswith("CKV") and len(skip.get("comment", "")) >= 40, (lid, skip)


def _csp(t: Template) -> dict[str, str]:
    csp = t.edge.security_headers["Content-Security-Policy"]
    return dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())


STRICT = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'self'",
}


@pytest.mark.parametrize(
    ("ancestors", "frame_options"),
    [
        (None, "DENY"),  # the default: no site frames the page
        ("'self'", "SAMEORIGIN"),
        ("https://partner.example", None),
        ("https://partner.example https://*.salon.example:8443 http://localhost:*", None),
        ("'self' https://partner.example", None),
    ],
)
def test_frame_ancestors_follow_the_parameter_and_nothing_else_opens(ancestors, frame_options):
    """PageFrameAncestors feeds the CSP's frame-ancestors (CloudFront's policy, so the local page server
    too: devstack/site.py sends edge.security_headers); X-Frame-Options never contradicts it (it cannot name
    sites, so it is left out for a list); every other header stays as strict."""
    t = template(**({"PageFrameAncestors": ancestors} if ancestors else {}))
    assert t.parameters["PageFrameAncestors"] == (ancestors or "'none'")
    assert _csp(t) == {**STRICT, "frame-ancestors": ancestors or "'none'"}
    headers = t.edge.security_headers
    assert headers.get("X-Frame-Options") == frame_options
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"


@pytest.mark.parametrize(
    "bad",
    [
        "'none'; script-src *",  # a second directive smuggled in
        "*",
        "https://*",
        "'unsafe-inline'",
        "'none' https://partner.example",  # 'none' with a source is no longer 'none'
        "https://partner.example/path",
        "javascript:alert(1)",
        "",
    ],
)
def test_frame_ancestors_refuse_what_is_not_a_list_of_sites(bad):
    with pytest.raises(TemplateError):
        template(PageFrameAncestors=bad)


VENDOR_HOSTS = {  # each vendor's hosts, by directive (their published CSP guidance)
    "google": {
        "script-src": ["https://*.googletagmanager.com"],
        "connect-src": [
            "https://*.google-analytics.com",
            "https://*.analytics.google.com",
            "https://*.googletagmanager.com",
        ],
        "img-src": ["https://*.google-analytics.com", "https://*.googletagmanager.com"],
    },
    "meta": {
        "script-src": ["https://connect.facebook.net"],
        "connect-src": ["https://www.facebook.com", "https://connect.facebook.net"],
        "img-src": ["https://www.facebook.com"],
    },
    "yandex": {
        "script-src": ["https://mc.yandex.ru", "https://yastatic.net"],
        "connect-src": ["https://mc.yandex.ru", "https://mc.yandex.com"],
        "img-src": ["https://mc.yandex.ru", "https://mc.yandex.com"],
    },
}


@pytest.mark.parametrize("vendors", ["", "google", "meta", "yandex", "google,yandex", "meta,google,yandex"])
def test_csp_opens_only_for_the_analytics_vendors_named(vendors):
    t = template(PageAnalyticsVendors=vendors)
    named = [v for v in vendors.split(",") if v]
    csp = _csp(t)
    for directive in ("script-src", "connect-src", "img-src"):
        base = STRICT[directive].split()
        hosts = [h for v in VENDOR_HOSTS if v in named for h in VENDOR_HOSTS[v][directive]]
        assert csp[directive].split() == base + hosts, (directive, csp[directive])
    for directive in ("default-src", "style-src", "base-uri", "form-action", "frame-ancestors"):
        assert csp[directive] == {**STRICT, "frame-ancestors": "'none'"}[directive]
    assert "'unsafe-inline'" not in str(csp) and "'unsafe-eval'" not in str(csp)


@pytest.mark.parametrize("bad", ["google,meta,yandex,google", "ga", "google;meta", "google meta", ",google"])
def test_analytics_vendors_refuse_unknown_names(bad):
    with pytest.raises(TemplateError):
        template(PageAnalyticsVendors=bad)
