"""CloudFormation YAML and intrinsic functions, resolved locally (no AWS, no samtranslator)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

ACCOUNT = "123456789012"  # moto's default account
_NO_VALUE = object()
_SUB_VAR = re.compile(r"\$\{([^}]+)\}")
# {{resolve:secretsmanager:secret-id:SecretString:json-key}} (version parts are not used locally).
_SECRET_REF = re.compile(
    r"\{\{resolve:secretsmanager:(arn:[^}]+?|[^:}]+)(?::SecretString(?::([^:}]*))?(?::[^}]*)?)?\}\}"
)


def api_key_id(value: str) -> str:
    """The local id of an API key (what Ref of an AWS::ApiGateway::ApiKey and identity.apiKeyId give)."""
    return hashlib.sha256(value.encode()).hexdigest()[:10]


class TemplateError(ValueError):
    """The template cannot be run locally as written; the message says where and why."""


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CfnLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader that keeps short tags (!Ref, !Sub, ...) as their long form, as data."""


def _tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


def load_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader


def as_env_string(value: Any) -> str:
    """Lambda environment values are strings; CloudFormation stringifies numbers and booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Resolver:
    """Ref, Fn::Sub, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::If (with the template's Conditions)
    and Secrets Manager dynamic references, with local values.

    `names` maps a resource's logical id to its local physical name (what Ref returns here);
    `secret_values(id)` gives a local secret's string (its name or ARN) for `{{resolve:secretsmanager:...}}`.
    """

    def __init__(
        self,
        resources: dict,
        parameters: dict[str, Any],
        pseudo: dict[str, str],
        names: dict,
        conditions: dict | None = None,
        secret_values=None,
    ):
        self.resources = resources
        self.parameters = parameters
        self.pseudo = pseudo
        self.names = names
        self.conditions = conditions or {}
        self.secret_values = secret_values
        self._decided: dict[str, bool] = {}

    def resolve(self, value: Any, where: str = "") -> Any:
        out = self._resolve(value, where)
        return None if out is _NO_VALUE else out

    def condition(self, name: str, where: str = "") -> bool:
        if name not in self._decided:
            if name not in self.conditions:
                raise TemplateError(f"{where}: unknown condition {name!r}")
            self._decided[name] = bool(self._resolve(self.conditions[name], f"Conditions.{name}"))
        return self._decided[name]

    def _resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self.ref(arg, where)
                if key == "Condition":  # inside Conditions: another condition by name
                    return self.condition(arg, where)
                if key.startswith("Fn::"):
                    fn = getattr(self, "_fn_" + key[4:].lower(), None)
                    if fn is None:
                        raise TemplateError(f"{where}: {key} is not supported by the local stack")
                    return fn(arg, where)
            out = {k: self._resolve(v, f"{where}.{k}") for k, v in value.items()}
            return {k: v for k, v in out.items() if v is not _NO_VALUE}
        if isinstance(value, list):
            return [v for v in (self._resolve(x, where) for x in value) if v is not _NO_VALUE]
        if isinstance(value, str) and "{{resolve:" in value:
            return self._dynamic(value, where)
        return value

    def _dynamic(self, text: str, where: str) -> str:
        """Secrets Manager dynamic references, from the local secrets' values (CloudFormation resolves them
        at deploy time; nothing else is supported locally)."""

        def one(m: re.Match) -> str:
            if self.secret_values is None:
                raise TemplateError(f"{where}: dynamic reference {m.group(0)!r} needs the local secrets")
            value = self.secret_values(m.group(1))
            if value is None:
                raise TemplateError(f"{where}: {m.group(0)!r} names no secret of this template")
            if not m.group(2):
                return value
            try:
                return str(json.loads(value)[m.group(2)])
            except (ValueError, KeyError, TypeError):
                missing = f"{where}: secret {m.group(1)!r} has no JSON key {m.group(2)!r}"
                raise TemplateError(missing) from None

        out = _SECRET_REF.sub(one, text)
        if "{{resolve:" in out:
            raise TemplateError(f"{where}: only secretsmanager dynamic references run locally: {text!r}")
        return out

    def ref(self, name: str, where: str = "") -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.resources:
            return self.names.get(name, name)
        raise TemplateError(f"{where}: Ref to unknown {name!r}")

    def get_att(self, logical_id: str, attr: str, where: str = "") -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"{where}: GetAtt of unknown resource {logical_id!r}")
        name = self.names.get(logical_id, logical_id)
        rtype = self.resources[logical_id].get("Type", "")
        if attr == "Arn":
            service = rtype.split("::")[1].lower() if rtype.count("::") == 2 else "local"
            kind = {"dynamodb": "table/", "lambda": "function:"}.get(service, "")
            return f"arn:aws:{service}:{self.pseudo['AWS::Region']}:{ACCOUNT}:{kind}{name}"
        return f"{name}.{attr}.local"

    def _fn_getatt(self, arg: Any, where: str) -> str:
        logical_id, attr = arg.split(".", 1) if isinstance(arg, str) else arg
        return self.get_att(logical_id, self._resolve(attr, where), where)

    def _fn_sub(self, arg: Any, where: str) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def one(m: re.Match) -> str:
            var = m.group(1)
            if var.startswith("!"):  # ${!Literal} stays literal
                return "${" + var[1:] + "}"
            if var in variables:
                return str(self.resolve(variables[var], where))
            if "." in var and not var.startswith("AWS::"):
                return self.get_att(*var.split(".", 1), where=where)
            return str(self.ref(var, where))

        out = _SUB_VAR.sub(one, text)
        return self._dynamic(out, where) if "{{resolve:" in out else out

    def _fn_if(self, arg: list, where: str) -> Any:
        name, then, otherwise = arg
        return self._resolve(then if self.condition(name, where) else otherwise, where)

    def _fn_equals(self, arg: list, where: str) -> bool:
        left, right = (as_env_string(self._resolve(x, where)) for x in arg)
        return left == right

    def _fn_not(self, arg: list, where: str) -> bool:
        return not self._resolve(arg[0], where)

    def _fn_and(self, arg: list, where: str) -> bool:
        return all(self._resolve(x, where) for x in arg)

    def _fn_or(self, arg: list, where: str) -> bool:
        return any(self._resolve(x, where) for x in arg)

    def _fn_join(self, arg: list, where: str) -> str:
        delimiter, items = arg
        return delimiter.join(str(x) for x in self._resolve(items, where))

    def _fn_select(self, arg: list, where: str) -> Any:
        index, items = arg
        return self._resolve(items, where)[int(self._resolve(index, where))]

    def _fn_split(self, arg: list, where: str) -> list[str]:
        delimiter, text = arg
        return str(self._resolve(text, where)).split(delimiter)


def check_parameter(name: str, spec: dict, value: Any) -> str:
    """CloudFormation's own parameter checks, so a bad local override fails like a bad deploy would."""
    text = as_env_string(value)
    if "AllowedValues" in spec and text not in [as_env_string(v) for v in spec["AllowedValues"]]:
        raise TemplateError(f"parameter {name}={text!r} is not one of {spec['AllowedValues']}")
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], text):
        raise TemplateError(f"parameter {name} does not match {spec['AllowedPattern']}")
    if len(text) < int(spec.get("MinLength", 0)) or len(text) > int(spec.get("MaxLength", 1 << 30)):
        raise TemplateError(f"parameter {name} has the wrong length ({len(text)})")
    if spec.get("Type") == "Number":
        try:
            number = float(text)
        except ValueError:
            raise TemplateError(f"parameter {name}={text!r} is not a number") from None
        if not float(spec.get("MinValue", "-inf")) <= number <= float(spec.get("MaxValue", "inf")):
            raise TemplateError(f"parameter {name}={text} is out of range")
    return text
