"""template.yaml as the local stack sees it: functions, routes, environment, tables, secrets, the CDN edge.

Everything local is derived from here, so the template stays the one list of what exists.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cfn import ACCOUNT, Resolver, TemplateError, api_key_id, as_env_string, check_parameter, load_yaml

ROOT = Path(__file__).resolve().parents[1]
STACK_NAME = "local"
DEFAULT_REGION = "eu-west-1"
_CORS_HEADERS = {
    "AllowHeaders": "Access-Control-Allow-Headers",
    "MaxAge": "Access-Control-Max-Age",
    "AllowCredentials": "Access-Control-Allow-Credentials",
}


@dataclass(frozen=True)
class GatewayResponse:
    """One of the API's GatewayResponses: what API Gateway answers itself for a response type."""

    status: int | None  # None: the type's own status
    headers: dict[str, str]  # header -> value as the template gives it ('static' or method.request.header.x)
    templates: dict[str, str]  # content type -> body template ($context variables, not VTL)


@dataclass(frozen=True)
class Api:
    logical_id: str
    stage: str
    api_key_required: bool
    cors: dict[str, str] | None  # Access-Control-* headers of the preflight, or None
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)  # by response type


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # resource path, e.g. /api/v1/book_staff/{location_id}
    function: str
    event: str
    api: str
    api_key_required: bool


@dataclass(frozen=True)
class Schedule:
    """An EventBridge schedule of a function (SAM `Type: Schedule`, `rate(...)` only)."""

    function: str
    event: str
    every_s: float
    enabled: bool = True


_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def parse_rate(expression: str, where: str = "") -> float:
    """`rate(1 minute)` in seconds; cron() is not run locally."""
    m = re.fullmatch(r"rate\((\d+) (\w+)\)", expression.strip())
    if not m or m.group(2) not in _RATE_UNITS:
        raise TemplateError(f"{where}: only rate(N minutes|hours|days) schedules run locally: {expression!r}")
    return int(m.group(1)) * _RATE_UNITS[m.group(2)]


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: float
    memory_mb: int
    env: dict[str, str]
    layers: tuple[Path, ...]
    routes: tuple[Route, ...] = ()
    # The statements of its role's policies, resolved (ARNs as AWS gives them), and the policies that
    # cannot be read locally (AWS-managed ones, SAM policy templates): devstack/iam.py checks calls with both.
    policies: tuple[dict, ...] = ()
    unreadable_policies: tuple[str, ...] = ()
    schedules: tuple[Schedule, ...] = ()

    @property
    def folder(self) -> str:
        return self.code_dir.name


@dataclass(frozen=True)
class Table:
    logical_id: str
    name: str
    properties: dict  # resolved CloudFormation properties

    @property
    def ttl_attribute(self) -> str | None:
        ttl = self.properties.get("TimeToLiveSpecification") or {}
        return ttl.get("AttributeName") if ttl.get("Enabled") else None


@dataclass(frozen=True)
class Secret:
    logical_id: str
    name: str
    arn: str
    value: str | None = None  # generated or given (SecretString); None: the stack stores the partner token


@dataclass(frozen=True)
class Edge:
    """What CloudFront does in front of the page: the /api/* behaviour and the site's response headers."""

    api_prefix: str = "/api/"
    origin_path: str = ""
    origin_headers: dict[str, str] = field(default_factory=dict)
    security_headers: dict[str, str] = field(default_factory=dict)
    compress: bool = True
    default_root: str = "index.html"


class Template:
    def __init__(
        self,
        path: Path,
        parameters: dict[str, Any] | None = None,
        local: dict[str, Any] | None = None,
        region: str | None = None,
    ):
        """`parameters` are overrides (unknown names fail); `local` are the local stack's own values,
        used for the parameters the template has."""
        self.path = Path(path).resolve()
        self.root = self.path.parent
        self.raw = load_yaml(self.path)
        self.region = region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        self.resources: dict[str, dict] = self.raw.get("Resources") or {}
        specs = self.raw.get("Parameters") or {}
        self.overrides = {**{k: v for k, v in (local or {}).items() if k in specs}, **(parameters or {})}
        self.parameters = self._parameters(self.overrides)
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:stack/{STACK_NAME}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        conditions = self.raw.get("Conditions") or {}
        self.resolver = Resolver(
            self.resources, self.parameters, pseudo, {}, conditions, secret_values=self._secret_value
        )
        self.tables = self._tables()
        self.secrets = self._secrets()
        self.api_keys = self._api_keys()
        # Policies see what CloudFormation gives them: Ref of a secret is its ARN, not its name.
        arns = {**self.resolver.names, **{lid: sec.arn for lid, sec in self.secrets.items()}}
        self.policy_resolver = Resolver(
            self.resources, self.parameters, pseudo, arns, conditions, secret_values=self._secret_value
        )
        self.apis = self._apis()
        self.functions = self._functions()
        self.routes = [r for fn in self.functions.values() for r in fn.routes]
        self._check_routes()
        self.edge = self._edge()

    # ---------- parameters and local names ----------
    def _parameters(self, overrides: dict[str, Any]) -> dict[str, str]:
        specs = self.raw.get("Parameters") or {}
        unknown = sorted(set(overrides) - set(specs))
        if unknown:
            raise TemplateError(f"unknown template parameters: {', '.join(unknown)}")
        out = {}
        for name, spec in specs.items():
            if name in overrides:
                value = overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no Default: give it a local value")
            out[name] = check_parameter(name, spec, value)
        return out

    def _of_type(self, *types: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v.get("Type") in types}

    def resolve(self, value: Any, where: str = "") -> Any:
        return self.resolver.resolve(value, where)

    def _tables(self) -> dict[str, Table]:
        out = {}
        for lid, res in self._of_type("AWS::DynamoDB::Table").items():
            props = self.resolve(res.get("Properties") or {}, lid)
            # A table's local name is its logical id unless the template names it.
            out[lid] = Table(lid, props.get("TableName") or lid, props)
            self.resolver.names[lid] = out[lid].name
        return out

    def _secrets(self) -> dict[str, Secret]:
        out = {}
        for lid, res in self._of_type("AWS::SecretsManager::Secret").items():
            props = res.get("Properties") or {}
            name = self.resolve(props.get("Name"), lid) or lid
            arn = f"arn:aws:secretsmanager:{self.region}:{ACCOUNT}:secret:{name}"
            out[lid] = Secret(lid, name, arn, _local_secret_value(self.resolve(props, lid), lid))
            self.resolver.names[lid] = name  # Ref is the ARN in AWS; a name works the same for GetSecretValue
        return out

    def _api_keys(self) -> dict[str, str]:
        """API keys with a value in the template (the page's): logical id -> local key id, what Ref gives."""
        out = {}
        for lid, res in self._of_type("AWS::ApiGateway::ApiKey").items():
            value = self.resolve((res.get("Properties") or {}).get("Value"), lid)
            if value:
                out[lid] = self.resolver.names[lid] = api_key_id(str(value))
        return out

    def _secret_value(self, secret_id: str) -> str | None:
        """A dynamic reference's secret (by name or ARN), if its value is known before the stack starts."""
        for sec in getattr(self, "secrets", {}).values():
            if secret_id in (sec.name, sec.arn):
                return sec.value
        return None

    # ---------- API and functions ----------
    def _apis(self) -> dict[str, Api]:
        globals_api = (self.raw.get("Globals") or {}).get("Api") or {}
        out = {}
        implicit = {"ServerlessRestApi": {"Properties": {"StageName": "Prod"}}}
        for lid, res in {**implicit, **self._of_type("AWS::Serverless::Api")}.items():
            props = {**globals_api, **(res.get("Properties") or {})}
            auth = props.get("Auth") or {}
            stage = self.resolve(props.get("StageName", "Prod"), f"{lid}.StageName")
            out[lid] = Api(
                lid,
                str(stage),
                bool(auth.get("ApiKeyRequired")),
                self._cors(props, lid),
                self._gateway_responses(props, lid),
            )
        return out

    def _gateway_responses(self, props: dict, where: str) -> dict[str, GatewayResponse]:
        raw = self.resolve(props.get("GatewayResponses"), f"{where}.GatewayResponses") or {}
        out = {}
        for kind, spec in raw.items():
            if not isinstance(spec, dict):
                raise TemplateError(f"{where}.GatewayResponses.{kind} must be an object")
            status = spec.get("StatusCode")
            headers = ((spec.get("ResponseParameters") or {}).get("Headers")) or {}
            out[str(kind)] = GatewayResponse(
                int(status) if status is not None else None,
                {str(k): str(v) for k, v in headers.items()},
                {str(k): str(v) for k, v in (spec.get("ResponseTemplates") or {}).items()},
            )
        return out

    def _cors(self, props: dict, where: str) -> dict[str, str] | None:
        cors = self.resolve(props.get("Cors"), f"{where}.Cors")
        if cors is None:
            return None
        if isinstance(cors, str):
            cors = {"AllowOrigin": cors}

        def unquote(v: Any) -> str:  # SAM wants these quoted ("'value'"), API Gateway sends the inside
            return str(v).strip().strip("'")

        out = {
            "Access-Control-Allow-Origin": unquote(cors.get("AllowOrigin", "'*'")),
            "Access-Control-Allow-Methods": unquote(
                cors.get("AllowMethods", "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'")
            ),
        }
        for key, header in _CORS_HEADERS.items():
            if key in cors:
                out[header] = unquote(cors[key])
        return out

    def _functions(self) -> dict[str, Function]:
        g = (self.raw.get("Globals") or {}).get("Function") or {}
        out = {}
        for lid, res in self._of_type("AWS::Serverless::Function").items():
            props = res.get("Properties") or {}
            merged = {**g, **props}
            code_uri = merged.get("CodeUri")
            if not isinstance(code_uri, str):
                raise TemplateError(f"{lid}: CodeUri must be a local folder to run locally")
            variables = {
                **((g.get("Environment") or {}).get("Variables") or {}),
                **((props.get("Environment") or {}).get("Variables") or {}),
            }
            env = {k: as_env_string(v) for k, v in self.resolve(variables, f"{lid}.Environment").items()}
            layers = [*(g.get("Layers") or []), *(props.get("Layers") or [])]  # SAM appends list globals
            out[lid] = Function(
                logical_id=lid,
                code_dir=(self.root / code_uri).resolve(),
                handler=str(merged.get("Handler", "app.lambda_handler")),
                timeout=float(self.resolve(merged.get("Timeout", 3))),
                memory_mb=int(self.resolve(merged.get("MemorySize", 128))),
                env=env,
                layers=tuple(self._layer_dir(layer, lid) for layer in self._chosen(layers, lid)),
                routes=tuple(self._routes(lid, props.get("Events") or {})),
                schedules=tuple(self._schedules(lid, props.get("Events") or {})),
                **self._policies(lid, merged),
            )
        return out

    def _policies(self, lid: str, props: dict) -> dict:
        """SAM's `Policies`: inline documents and this template's managed policies are read; anything
        else (an AWS-managed policy's name or ARN, a SAM policy template) is noted as unreadable."""
        if "Role" in props:
            raise TemplateError(f"{lid}: Role is not supported locally; give the function Policies")
        items = props.get("Policies") or []
        statements: list[dict] = []
        unreadable: list[str] = []
        for item in items if isinstance(items, list) else [items]:
            target = self.resources.get(item.get("Ref", "")) if isinstance(item, dict) else None
            if target is not None and target.get("Type") == "AWS::IAM::ManagedPolicy":
                document = (target.get("Properties") or {}).get("PolicyDocument") or {}
            elif isinstance(item, dict) and "Statement" in item:
                document = item
            else:
                unreadable.append(item if isinstance(item, str) else ", ".join(map(str, item)))
                continue
            found = self.policy_resolver.resolve(document.get("Statement"), f"{lid}.Policies")
            statements += found if isinstance(found, list) else [found]
        for st in statements:  # what devstack/iam.py cannot evaluate is refused, not guessed
            odd = {"Condition", "NotAction", "NotResource", "NotPrincipal"} & set(st)
            if odd or st.get("Effect") not in ("Allow", "Deny"):
                what = ", ".join(sorted(odd)) or f"Effect {st.get('Effect')!r}"
                raise TemplateError(f"{lid}: {what} in a policy statement is not checked locally")
        return {"policies": tuple(statements), "unreadable_policies": tuple(unreadable)}

    def _chosen(self, layers: list, where: str) -> list:
        """The layers a function gets for these parameters: `!If [Condition, !Ref Layer, !Ref AWS::NoValue]`
        items decided (the X-Ray SDK's layer only while Tracing is on)."""
        out = []
        for layer in layers:
            while isinstance(layer, dict) and "Fn::If" in layer:
                name, yes, no = layer["Fn::If"]
                layer = yes if self.resolver.condition(name, where) else no
            if layer != {"Ref": "AWS::NoValue"}:
                out.append(layer)
        return out

    def _layer_dir(self, layer: Any, where: str) -> Path:
        lid = layer.get("Ref") if isinstance(layer, dict) else None
        res = self.resources.get(lid or "")
        if not res or res.get("Type") not in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            raise TemplateError(f"{where}: layer {layer!r} is not a local LayerVersion of this template")
        props = res.get("Properties") or {}
        path = (self.root / str(props.get("ContentUri") or props.get("Content") or ".")).resolve()
        # Without a BuildMethod the layer's code must sit under python/, as Lambda expects.
        if not (res.get("Metadata") or {}).get("BuildMethod") and (path / "python").is_dir():
            path = path / "python"
        return path

    def _routes(self, lid: str, events: dict) -> list[Route]:
        out = []
        for name, event in events.items():
            if event.get("Type") != "Api":
                continue
            p = event.get("Properties") or {}
            api_id = (p.get("RestApiId") or {}).get("Ref", "ServerlessRestApi")
            api = self.apis.get(api_id)
            if api is None:
                raise TemplateError(f"{lid}.{name}: RestApiId {api_id!r} is not an AWS::Serverless::Api")
            auth = p.get("Auth") or {}
            required = bool(auth["ApiKeyRequired"]) if "ApiKeyRequired" in auth else api.api_key_required
            method = str(p["Method"]).upper()
            out.append(
                Route("ANY" if method == "ANY" else method, str(p["Path"]), lid, name, api_id, required)
            )
        return out

    def _schedules(self, lid: str, events: dict) -> list[Schedule]:
        out = []
        for name, event in events.items():
            if event.get("Type") not in ("Schedule", "ScheduleV2"):
                continue
            p = event.get("Properties") or {}
            expression = self.resolve(p.get("Schedule") or p.get("ScheduleExpression"), f"{lid}.{name}")
            enabled = p.get("Enabled", True) is not False and p.get("State", "ENABLED") != "DISABLED"
            out.append(Schedule(lid, name, parse_rate(str(expression), f"{lid}.{name}"), enabled))
        return out

    def _check_routes(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        for r in self.routes:
            key = (r.method, r.path)
            if key in seen:
                raise TemplateError(f"{r.method} {r.path} is routed to both {seen[key]} and {r.function}")
            seen[key] = r.function

    # ---------- environment ----------
    def environment(self, functions: list[str] | None = None) -> dict[str, str]:
        """One process runs every function, so the variables must agree across them."""
        env: dict[str, str] = {}
        owner: dict[str, str] = {}
        for lid in functions or list(self.functions):
            for key, value in self.functions[lid].env.items():
                if key in env and env[key] != value:
                    raise TemplateError(
                        f"{key} is {env[key]!r} in {owner[key]} but {value!r} in {lid}: "
                        "the local stack runs all functions in one process and cannot give them both"
                    )
                env[key], owner[key] = value, lid
        return env

    # ---------- the CDN in front of the page ----------
    def _edge(self) -> Edge:
        dists = self._of_type("AWS::CloudFront::Distribution")
        if not dists:
            return Edge()
        lid, res = next(iter(dists.items()))
        cfg = (res.get("Properties") or {}).get("DistributionConfig") or {}
        origins = {o.get("Id"): o for o in cfg.get("Origins") or []}
        edge: dict[str, Any] = {}
        for b in cfg.get("CacheBehaviors") or []:
            origin = origins.get(b.get("TargetOriginId")) or {}
            if "CustomOriginConfig" in origin:  # the API origin
                edge["api_prefix"] = str(b.get("PathPattern", "/api/*")).rstrip("*")
                edge["origin_path"] = self.resolve(origin.get("OriginPath", ""), lid) or ""
                headers = self.resolve(origin.get("OriginCustomHeaders") or [], lid)
                edge["origin_headers"] = {h["HeaderName"]: str(h["HeaderValue"]) for h in headers}
                break
        default = cfg.get("DefaultCacheBehavior") or {}
        policy = self.resources.get((default.get("ResponseHeadersPolicyId") or {}).get("Ref", "")) or {}
        policy_cfg = ((policy.get("Properties") or {}).get("ResponseHeadersPolicyConfig")) or {}
        edge["security_headers"] = security_headers(self.resolve(policy_cfg, "ResponseHeadersPolicy"))
        edge["compress"] = bool(default.get("Compress", False))
        edge["default_root"] = cfg.get("DefaultRootObject") or ""
        return Edge(**edge)


def _local_secret_value(props: dict, where: str) -> str | None:
    """What Secrets Manager would store at creation: SecretString, or a generated value in its template."""
    if "SecretString" in props:
        return str(props["SecretString"])
    spec = props.get("GenerateSecretString")
    if spec is None:
        return None
    alphabet = string.ascii_letters + string.digits  # enough for a local value; no punctuation to escape
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "GenerateStringKey" not in spec:
        return value
    try:
        doc = json.loads(spec.get("SecretStringTemplate") or "{}")
    except ValueError:
        raise TemplateError(f"{where}: SecretStringTemplate is not JSON") from None
    return json.dumps({**doc, spec["GenerateStringKey"]: value})


def security_headers(policy: dict) -> dict[str, str]:
    """A ResponseHeadersPolicyConfig's security and custom headers as HTTP headers."""
    s = policy.get("SecurityHeadersConfig") or {}
    out = {}
    if "ContentSecurityPolicy" in s:
        out["Content-Security-Policy"] = s["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    if "ContentTypeOptions" in s:
        out["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in s:
        out["X-Frame-Options"] = s["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in s:
        out["Referrer-Policy"] = s["ReferrerPolicy"]["ReferrerPolicy"]
    if "StrictTransportSecurity" in s:
        hsts = s["StrictTransportSecurity"]
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        out["Strict-Transport-Security"] = value + ("; preload" if hsts.get("Preload") else "")
    if "XSSProtection" in s:
        x = s["XSSProtection"]
        value = "1" if x.get("Protection") else "0"
        value += "; mode=block" if x.get("ModeBlock") else ""
        out["X-XSS-Protection"] = value + (f"; report={x['ReportUri']}" if x.get("ReportUri") else "")
    for item in (policy.get("CustomHeadersConfig") or {}).get("Items") or []:
        out[item["Header"]] = str(item["Value"])
    return out


def load(path: Path | str | None = None, parameters: dict[str, Any] | None = None, local=None) -> Template:
    return Template(Path(path) if path else ROOT / "template.yaml", parameters, local)
