"""The template model: what devstack reads from template.yaml, and intrinsics resolved locally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.cfn import TemplateError, load_yaml
from devstack.stack import DEFAULT_API_KEY
from devstack.template import ROOT, Template

PROJECT = Path(__file__).parent / "project"
LOCAL = {"PageApiKeyValue": DEFAULT_API_KEY, "AltegioBaseUrl": "http://127.0.0.1:1/api/v1"}


@pytest.fixture(scope="module")
def real():
    return Template(ROOT / "template.yaml", local=LOCAL)


@pytest.fixture(scope="module")
def project():
    return Template(PROJECT / "template.yaml", local=LOCAL)


def test_short_tags_are_kept_as_data():
    raw = load_yaml(ROOT / "template.yaml")
    env = raw["Globals"]["Function"]["Environment"]["Variables"]
    assert env["CACHE_TABLE"] == {"Ref": "CacheTable"}
    secret = raw["Resources"]["PartnerTokenSecret"]["Properties"]["Name"]
    assert secret == {"Fn::Sub": "${AWS::StackName}/altegio-partner-token"}
    arn = raw["Resources"]["BookingApi"]["Properties"]["AccessLogSetting"]["DestinationArn"]
    assert arn == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}


def test_every_function_of_the_template_with_its_route(real):
    raw = load_yaml(ROOT / "template.yaml")["Resources"]
    declared = {k for k, v in raw.items() if v["Type"] == "AWS::Serverless::Function"}
    assert set(real.functions) == declared and len(declared) == 27  # 24 operations, openapi, webhooks, warmer
    for fn in real.functions.values():
        assert fn.code_dir == ROOT / "functions" / fn.folder
        assert fn.handler == "app.lambda_handler" and fn.memory_mb == 512
        assert fn.layers == (ROOT / "layers" / "common",)
        if fn.logical_id == "WarmerFunction":  # on a schedule, not behind the API
            assert not fn.routes and fn.timeout == 60
            assert [(s.event, s.every_s) for s in fn.schedules] == [("EveryMinute", 60)]
            continue
        assert fn.timeout == 15 and not fn.schedules
        assert all(r.path.startswith("/api/v1/") for r in fn.routes)
        # one route each; the webhook's secret may come in the path or in a header
        assert len(fn.routes) == (2 if fn.logical_id == "WebhookAltegioFunction" else 1)
    routes = {(r.method, r.path): r for r in real.routes}
    assert routes[("GET", "/api/v1/book_staff/{location_id}")].function == "BookStaffFunction"
    assert routes[("DELETE", "/api/v1/user/records/{record_id}/{record_hash}")].api_key_required
    assert not routes[("GET", "/api/v1/openapi.json")].api_key_required  # per-event Auth wins
    assert not routes[("POST", "/api/v1/webhooks/altegio/{secret}")].api_key_required  # Altegio has no key
    assert real.apis["BookingApi"].stage == "dev"


def test_environment_globals_merged_and_intrinsics_resolved(real):
    env = real.environment()
    assert env["CACHE_TABLE"] == "CacheTable" and env["BUDGET_TABLE"] == "BudgetTable"
    assert (
        env["PARTNER_SECRET_ID"] == "local/altegio-partner-token" == real.secrets["PartnerTokenSecret"].name
    )
    assert env["ALTEGIO_BASE_URL"] == LOCAL["AltegioBaseUrl"]  # local override
    assert env["ALLOWED_LOCATION_IDS"] == "101,202"  # Default
    assert env["UPSTREAM_PER_SECOND"] == "4"  # numbers become strings
    assert real.functions["BookRecordFunction"].env["IDEMPOTENCY_TABLE"] == "IdempotencyTable"
    assert "IDEMPOTENCY_TABLE" not in real.functions["BookStaffFunction"].env


def test_ref_of_the_page_api_key_is_its_local_id(real):
    from devstack.cfn import api_key_id

    assert real.api_keys == {"PageApiKey": api_key_id(DEFAULT_API_KEY)}
    assert real.environment()["PAGE_API_KEY_ID"] == api_key_id(DEFAULT_API_KEY)  # what apiKeyId will say


def test_tables_and_secret_from_the_template(real):
    assert set(real.tables) == {"CacheTable", "BudgetTable", "IdempotencyTable"}
    assert real.tables["CacheTable"].ttl_attribute == "expires_at"
    assert real.tables["IdempotencyTable"].ttl_attribute == "expiration"
    assert real.tables["IdempotencyTable"].properties["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"}
    ]


def test_edge_reads_cloudfront(real):
    edge = real.edge
    assert edge.api_prefix == "/api/" and edge.origin_path == "/dev"
    # The origin secret is a dynamic reference to a generated secret: resolved from its local value.
    verify = json.loads(real.secrets["OriginVerifySecret"].value)["value"]
    assert edge.origin_headers == {"x-api-key": DEFAULT_API_KEY, "X-Origin-Verify": verify}
    assert len(verify) == 48 and verify.isalnum()
    assert (
        verify
        != json.loads(Template(ROOT / "template.yaml", local=LOCAL).secrets["OriginVerifySecret"].value)[
            "value"
        ]
    )  # generated per stack, like Secrets Manager does per deployment
    assert edge.security_headers["X-Frame-Options"] == "DENY"
    assert (
        edge.security_headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    )
    assert edge.security_headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert edge.compress and edge.default_root == "index.html"


def test_sub_join_getatt_and_parameter_types(project):
    env = project.environment()
    assert env["GREETING"] == "hello from eu-west-1"
    assert env["JOINED"] == "a-hello-4"
    assert env["TABLE_ARN"] == "arn:aws:dynamodb:eu-west-1:123456789012:table/ThingsTable"
    assert env["SECRET_ID"] == "local/token"
    assert env["ONLY_ECHO"] == "1"
    assert project.apis["EchoApi"].cors == {
        "Access-Control-Allow-Origin": "https://hello.example",
        "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type,X-Api-Key",
        "Access-Control-Max-Age": "60",
    }
    assert project.edge.security_headers == {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "X-XSS-Protection": "1; mode=block",
        "X-Test-Site": "hello",
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Greeting": "Not Lower"}, "does not match"),
        ({"Stage": "qa"}, "is not one of"),
        ({"PerSecond": 9}, "out of range"),
        ({"PageApiKeyValue": "short"}, "wrong length"),
        ({"Nope": "x"}, "unknown template parameters"),
    ],
)
def test_parameter_overrides_are_checked_like_cloudformation(overrides, message):
    with pytest.raises(TemplateError, match=message):
        Template(PROJECT / "template.yaml", overrides, local=LOCAL)


def test_a_parameter_without_default_needs_a_local_value():
    with pytest.raises(TemplateError, match="PageApiKeyValue has no Default"):
        Template(PROJECT / "template.yaml")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_two_functions_disagreeing_on_a_variable_fail_loudly(tmp_path):
    path = _write(
        tmp_path,
        """
Resources:
  A: {Type: AWS::Serverless::Function, Properties: {CodeUri: a/, Environment: {Variables: {X: "1"}}}}
  B: {Type: AWS::Serverless::Function, Properties: {CodeUri: b/, Environment: {Variables: {X: "2"}}}}
""",
    )
    template = Template(path)
    with pytest.raises(TemplateError, match="X is '1' in A but '2' in B"):
        template.environment()
    assert template.environment(["B"]) == {"X": "2"}


def test_duplicate_routes_and_unsupported_intrinsics_fail_loudly(tmp_path):
    dup = _write(
        tmp_path,
        """
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: a/, Events: {E: {Type: Api, Properties: {Path: /x, Method: get}}}}
  B:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: b/, Events: {E: {Type: Api, Properties: {Path: /x, Method: GET}}}}
""",
    )
    with pytest.raises(TemplateError, match="GET /x is routed to both A and B"):
        Template(dup)
    imported = _write(
        tmp_path,
        """
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: a/, Environment: {Variables: {X: !ImportValue other-stack-output}}}
""",
    )
    with pytest.raises(TemplateError, match="Fn::ImportValue is not supported"):
        Template(imported)
    unknown = _write(
        tmp_path,
        """
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: a/, Environment: {Variables: {X: !If [Nowhere, a, b]}}}
""",
    )
    with pytest.raises(TemplateError, match="unknown condition 'Nowhere'"):
        Template(unknown)


def test_conditions_decide_fn_if_like_cloudformation(tmp_path):
    path = _write(
        tmp_path,
        """
Parameters:
  Mode: {Type: String, Default: "off", AllowedValues: ["on", "off"]}
  Count: {Type: Number, Default: 0}
Conditions:
  IsOn: !Equals [!Ref Mode, "on"]
  HasCount: !Not [!Equals [!Ref Count, 0]]
  Both: !And [!Condition IsOn, !Condition HasCount]
  Either: !Or [!Condition IsOn, !Condition HasCount]
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a/
      Environment:
        Variables:
          MODE: !If [IsOn, "y", "n"]
          BOTH: !If [Both, "y", "n"]
          EITHER: !If [Either, "y", "n"]
          MAYBE: !If [HasCount, !Ref Count, !Ref AWS::NoValue]
""",
    )
    assert Template(path).environment() == {"MODE": "n", "BOTH": "n", "EITHER": "n"}
    on = Template(path, {"Mode": "on", "Count": 3}).environment()
    assert on == {"MODE": "y", "BOTH": "y", "EITHER": "y", "MAYBE": "3"}
    assert Template(path, {"Count": 3}).environment() == {
        "MODE": "n",
        "BOTH": "n",
        "EITHER": "y",
        "MAYBE": "3",
    }


def test_secret_dynamic_references_resolve_from_the_local_secrets(tmp_path):
    path = _write(
        tmp_path,
        """
Resources:
  Given:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: given, SecretString: '{"user": "u1", "pass": "p1"}'}
  Made:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        {SecretStringTemplate: '{"user": "svc"}', GenerateStringKey: pass, PasswordLength: 12}
  Filled:
    Type: AWS::SecretsManager::Secret
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a/
      Environment:
        Variables:
          WHOLE: "{{resolve:secretsmanager:given}}"
          KEY: !Sub "pre-{{resolve:secretsmanager:${Given}:SecretString:pass}}-post"
          MADE: !Sub "{{resolve:secretsmanager:${Made}:SecretString:pass}}"
""",
    )
    t = Template(path)
    env = t.environment()
    assert env["WHOLE"] == '{"user": "u1", "pass": "p1"}' and env["KEY"] == "pre-p1-post"
    made = json.loads(t.secrets["Made"].value)
    assert made["user"] == "svc" and env["MADE"] == made["pass"] and len(made["pass"]) == 12
    assert t.secrets["Filled"].value is None  # filled at start (the partner token)
    bad = _write(tmp_path, path.read_text().replace("${Given}:SecretString:pass", "${Filled}:SecretString:x"))
    with pytest.raises(TemplateError, match="names no secret"):
        Template(bad)
    ssm = _write(tmp_path, path.read_text().replace("{{resolve:secretsmanager:given}}", "{{resolve:ssm:/p}}"))
    with pytest.raises(TemplateError, match="only secretsmanager dynamic references"):
        Template(ssm)


def test_function_policies_are_read_for_the_local_access_check(tmp_path):
    text = """
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
  S:
    Type: AWS::SecretsManager::Secret
    Properties: {Name: s1}
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: secretsmanager:GetSecretValue, Resource: !Ref S}]
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a/
      Policies:
        - !Ref Shared
        - Statement: [{Effect: Allow, Action: [dynamodb:GetItem], Resource: !GetAtt T.Arn}]
        - AWSXrayWriteOnlyAccess
        - DynamoDBReadPolicy: {TableName: !Ref T}
  B:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: b/}
"""
    t = Template(_write(tmp_path, text))
    a = t.functions["A"]
    assert a.policies == (
        # Ref of a secret is its ARN for a policy (its name for the environment, as before)
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": t.secrets["S"].arn},
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": t.resolver.get_att("T", "Arn")},
    )
    assert a.unreadable_policies == ("AWSXrayWriteOnlyAccess", "DynamoDBReadPolicy")
    assert t.functions["B"].policies == () and t.functions["B"].unreadable_policies == ()
    role = text.replace("Properties: {CodeUri: b/}", "Properties: {CodeUri: b/, Role: arn:aws:iam::1:role/r}")
    with pytest.raises(TemplateError, match="Role is not supported locally"):
        Template(_write(tmp_path, role))
    cond = text.replace("Resource: !GetAtt T.Arn}", "Resource: !GetAtt T.Arn, Condition: {Bool: {x: y}}}")
    with pytest.raises(TemplateError, match="Condition in a policy statement is not checked locally"):
        Template(_write(tmp_path, cond))
