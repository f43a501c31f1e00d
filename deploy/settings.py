"""What one deploy uses: samconfig.toml's config environment (stack, region, Stage), template.yaml's
parameters, and the values only the deployer knows, from a git-ignored env file (`deploy.env` for the
default config environment, `deploy.<env>.env` for another) or the process environment, which wins.

Samples never come back by themselves: the parameters whose template default is a sample must be set
here, and samconfig.toml may not set them (`sam deploy --guided` writes its answers there).
"""

from __future__ import annotations

import json
import os
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from devstack.cfn import TemplateError, check_parameter, load_yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ENV = "default"
LOG_ROLE_PARAM = "CreateApiGatewayLogRole"
# Parameters whose template default is a sample: each Stage listed must set them in the env file.
MUST_SET = {"AllowedLocationIds": ("dev", "prod"), "AllowedOrigin": ("prod",)}
PAGE_KEYS = ("PAGE_BOOKFORM", "PAGE_LOCATION", "PAGE_LOCALE", "PAGE_LOCATIONS")
# How to make a value the template cannot describe.
_HOW = {"PageApiKeyValue": "<20+ random characters: the output of openssl rand -hex 24>"}
_SAMPLE_HOSTS = ("example.com", "example.org", "example.net", "localhost")


@dataclass(frozen=True)
class PageSettings:
    """What config.json names besides the API base: the booking form or location, language, display data."""

    bookform: int | None = None
    location: int | None = None
    locale: str = "en-US"
    locations: dict = field(default_factory=dict)


@dataclass
class Settings:
    config_env: str
    stack_name: str
    region: str
    env_file: Path
    specs: dict  # template.yaml's Parameters
    parameters: dict[str, str]  # what sam deploy gets
    page: PageSettings
    problems: list[str]
    # Asked for in the env file or environment, even if template.yaml has no such parameter yet.
    creates_log_role: bool = False

    @property
    def stage(self) -> str:
        return self.parameters.get("Stage") or str(self.specs.get("Stage", {}).get("Default", ""))

    @property
    def secrets(self) -> list[str]:
        """Values of NoEcho parameters: never printed."""
        return [v for k, v in self.parameters.items() if self.specs.get(k, {}).get("NoEcho") and v]


def env_file_for(config_env: str, root: Path = ROOT) -> Path:
    return root / ("deploy.env" if config_env == DEFAULT_ENV else f"deploy.{config_env}.env")


def load(
    config_env: str = DEFAULT_ENV,
    *,
    root: Path = ROOT,
    template: Path | None = None,
    samconfig: Path | None = None,
    env_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Everything the deploy needs, with every problem found (an empty list: ready to build)."""
    environ = os.environ if environ is None else environ
    template = template or root / "template.yaml"
    samconfig = samconfig or root / "samconfig.toml"
    env_file = Path(env_file or environ.get("DEPLOY_ENV_FILE") or env_file_for(config_env, root))
    problems: list[str] = []

    specs = load_yaml(template).get("Parameters") or {}
    sam = _samconfig_env(samconfig, config_env, problems)
    stack_name = _sam_value(sam, "stack_name")
    region = _sam_value(sam, "region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if sam and not stack_name:
        problems.append(f"{samconfig.name} [{config_env}] names no stack_name")
    if sam and not region:
        problems.append(f"{samconfig.name} [{config_env}] names no region (and AWS_REGION is not set)")

    from_sam = _parse_overrides(sam.get("deploy", {}).get("parameters", {}).get("parameter_overrides"))
    local = dotenv_values(env_file) if env_file.is_file() else {}
    local = {k: v.strip() for k, v in local.items() if v and v.strip()}  # `Key=` is not set
    for key in sorted(set(local) - set(specs) - set(PAGE_KEYS)):
        problems.append(
            f"{env_file.name} sets {key}, which is neither a template.yaml parameter nor one of "
            f"{', '.join(PAGE_KEYS)}"
        )
    from_env = {k: environ[k] for k in [*specs, *PAGE_KEYS] if environ.get(k)}
    mine = {**local, **from_env}

    parameters = {k: str(v) for k, v in from_sam.items()}
    parameters.update({k: v for k, v in mine.items() if k in specs})
    for key in sorted(set(from_sam) - set(specs)):
        problems.append(
            f"{samconfig.name} [{config_env}] parameter_overrides sets {key}, "
            "which template.yaml has no parameter for"
        )
    stage = parameters.get("Stage") or str(specs.get("Stage", {}).get("Default", ""))
    must_set = {k for k, stages in MUST_SET.items() if k in specs and stage in stages}
    must_set |= {k for k, spec in specs.items() if "Default" not in spec}
    for key in sorted(must_set & set(from_sam)):
        problems.append(
            f"{samconfig.name} [{config_env}] parameter_overrides sets {key} (`sam deploy --guided` writes "
            f"its answers there): remove it from {samconfig.name} and keep it in {env_file.name}"
        )
    for key in sorted(must_set - set(mine)):
        hint = specs[key].get("Description", "")
        problems.append(
            f"{key} is not set{f' ({hint})' if hint else ''}: add `{key}={_HOW.get(key, '...')}` to "
            f"{env_file.name} (git-ignored) or export it"
        )
    for key, value in parameters.items():
        if key in specs:
            problems += _parameter_problems(key, specs[key], value, stage, must_set)

    page = _page_settings(mine, parameters.get("AllowedLocationIds"), root / "web", env_file.name, problems)
    creates_log_role = {**parameters, **mine}.get(LOG_ROLE_PARAM, "").strip().lower() == "true"
    return Settings(
        config_env,
        stack_name or "",
        region or "",
        env_file,
        specs,
        parameters,
        page,
        problems,
        creates_log_role,
    )


def _samconfig_env(path: Path, config_env: str, problems: list[str]) -> dict:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        problems.append(f"{path.name} cannot be read: {e}")
        return {}
    if config_env not in data:
        known = ", ".join(k for k in data if isinstance(data[k], dict))
        problems.append(f"{path.name} has no [{config_env}] config environment (it has: {known})")
        return {}
    return data[config_env]


def _sam_value(sam: dict, key: str) -> str | None:
    for command in ("deploy", "global"):
        value = sam.get(command, {}).get("parameters", {}).get(key)
        if value:
            return str(value)
    return None


def _parse_overrides(value) -> dict[str, str]:
    """samconfig's parameter_overrides: "K=V K2='v 2'" or a list of "K=V"."""
    items = value if isinstance(value, list) else shlex.split(value or "")
    out = {}
    for item in items:
        key, sep, val = str(item).partition("=")
        if sep:
            out[key.strip()] = val
    return out


def _parameter_problems(key: str, spec: dict, value: str, stage: str, must_set: set[str]) -> list[str]:
    try:
        check_parameter(key, spec, value)
    except TemplateError as e:
        return [str(e)]
    if key in must_set and "Default" in spec and value == str(spec["Default"]):
        return [f"{key}={value} is the template's sample value: set your own"]
    if key == "AllowedOrigin" and stage == "prod":
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not host or parts.path not in ("", "/"):
            return [f"AllowedOrigin={value} is not an https origin (https://host, no path)"]
        if any(host == h or host.endswith("." + h) for h in _SAMPLE_HOSTS):
            return [f"AllowedOrigin={value} is a sample origin: set the origin of partners' browser pages"]
    return []


def _page_settings(
    values: Mapping[str, str], allowed: str | None, web: Path, file_name: str, problems: list[str]
) -> PageSettings:
    ids = [int(x) for x in (allowed or "").split(",") if x.strip().isdigit()]

    def number(key: str) -> int | None:
        raw = (values.get(key) or "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            problems.append(f"{key}={raw} is not a number")
            return None
        return int(raw)

    bookform, location = number("PAGE_BOOKFORM"), number("PAGE_LOCATION")
    if location is not None and ids and location not in ids:
        problems.append(f"PAGE_LOCATION={location} is not in AllowedLocationIds ({allowed})")
    if bookform is None and location is None:
        if len(ids) == 1:
            location = ids[0]
        elif ids:
            problems.append(
                f"the page needs a booking form or a location: add `PAGE_BOOKFORM=<form id>` or "
                f"`PAGE_LOCATION=<one of {allowed}>` to {file_name}"
            )
    locales = sorted(p.stem for p in (web / "i18n").glob("*.json"))
    locale = (values.get("PAGE_LOCALE") or "en-US").strip()
    if locales and locale not in locales:
        problems.append(f"PAGE_LOCALE={locale} is not one of the page's languages ({', '.join(locales)})")
    locations: dict = {}
    raw = (values.get("PAGE_LOCATIONS") or "").strip()
    if raw:
        try:
            locations = json.loads(raw)
        except ValueError as e:
            problems.append(f"PAGE_LOCATIONS is not JSON ({e})")
        if not isinstance(locations, dict) or not all(isinstance(v, dict) for v in locations.values()):
            problems.append('PAGE_LOCATIONS must be {"<id>": {"name": .., "timeZone": .., "currency": ..}}')
            locations = {}
        stray = [k for k in locations if not k.isdigit() or (ids and int(k) not in ids)]
        if stray:
            problems.append(f"PAGE_LOCATIONS names {', '.join(stray)}, not in AllowedLocationIds ({allowed})")
    return PageSettings(bookform, location, locale, locations)
