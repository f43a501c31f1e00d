"""The shared layer starts fast: it ships neither boto3/botocore (the runtime's) nor the X-Ray SDK (its own
layer, only while tracing is on), prunes what the gateway never imports, and nothing is imported at init
that the first request does not need. The built layer (make build) stays within 10 MB unzipped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "common"
BUILT = ROOT / ".aws-sam" / "build" / "CommonLayer" / "python"
MAX_LAYER_BYTES = 10_000_000
# Never wanted at init: the X-Ray SDK only with tracing on; pydantic-settings is gone (settings.py reads
# os.environ). A read's first request may be a cache hit, so boto3 (Powertools' parameters and idempotency
# use it: the partner token, Idempotency-Key) waits for its first upstream call; a write always makes one.
NOT_AT_INIT = ("aws_xray_sdk", "wrapt", "pydantic_settings", "dotenv")
NOT_AT_A_READS_INIT = ("boto3", "s3transfer")


def _requirements(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [re.split(r"[<>=!\[ ;]", line, maxsplit=1)[0].lower() for line in lines if line]


def _pruned() -> list[str]:
    """The Makefile's PRUNE entries as module names (directories and .py files of packages)."""
    text = (LAYER / "Makefile").read_text()
    block = re.search(r"^PRUNE = \\\n((?:\t.*\n)+)", text, re.M).group(1)
    entries = block.replace("\\", " ").split()
    return [e.removesuffix(".py").replace("/", ".") for e in entries]


def test_the_layer_ships_no_sdk_and_no_tracer():
    assert set(_requirements(LAYER / "requirements.txt")) == {"aws-lambda-powertools", "pydantic", "urllib3"}
    assert "BuildMethod: makefile" in (ROOT / "template.yaml").read_text()
    assert _requirements(ROOT / "layers" / "tracing" / "requirements.txt") == ["aws-xray-sdk", "wrapt"]
    assert "--no-deps" in (ROOT / "layers" / "tracing" / "Makefile").read_text()  # botocore: the runtime's


def test_tests_run_on_the_runtimes_sdk_version():
    """boto3 and botocore pinned to one version, the python3.13 runtime's (pyproject.toml says why)."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    pins = {re.split(r"==", r)[0]: r.split("==")[1] for r in groups["runtime"] if "==" in str(r)}
    assert set(pins) == {"boto3", "botocore"} and pins["boto3"] == pins["botocore"]


def _init_modules(env: dict[str, str], folders: list[str]) -> set[str]:
    """sys.modules after importing these functions' app.py, each in turn, as Lambda's init would."""
    code = (
        "import importlib, json, sys\n"
        "for folder in sys.argv[1:]:\n"
        "    sys.path.insert(0, folder)\n"
        "    sys.modules.pop('app', None)\n"
        "    importlib.import_module('app')\n"
        "    sys.path.remove(folder)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": str(LAYER),
        "CACHE_TABLE": "c",
        "BUDGET_TABLE": "b",
        "PARTNER_SECRET_ID": "s",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    done = subprocess.run(
        [sys.executable, "-c", code, *folders], env=full_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_init_imports_nothing_pruned_and_nothing_the_first_request_does_not_need():
    apps = sorted((ROOT / "functions").glob("*/app.py"))
    reads = [str(p.parent) for p in apps if "serve_get" in p.read_text()]
    off = {"POWERTOOLS_TRACE_DISABLED": "true"}
    for folders, unwanted in (
        ([str(p.parent) for p in apps], (*_pruned(), *NOT_AT_INIT)),
        (reads, NOT_AT_A_READS_INIT),
    ):
        loaded = _init_modules(off, folders)
        for name in unwanted:
            assert not [m for m in loaded if m == name or m.startswith(name + ".")], name
        assert {"botocore", "pydantic", "urllib3", "aws_lambda_powertools.event_handler"} <= loaded
    assert len(reads) == 8


def test_built_layer_is_small_and_compiled():
    if not BUILT.is_dir():
        pytest.skip("layer not built (make build; make test builds it first)")
    files = [p for p in BUILT.parent.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= MAX_LAYER_BYTES
    tops = {p.name for p in BUILT.iterdir()}
    assert not tops & {"boto3", "botocore", "s3transfer", "aws_xray_sdk", "wrapt", "pydantic_settings"}
    assert {"booking_gateway", "pydantic", "pydantic_core", "aws_lambda_powertools", "urllib3"} <= tops
    assert (BUILT / "pydantic" / "main.pyc").is_file()  # dependencies as bytecode
    gateway = BUILT / "booking_gateway"
    assert (gateway / "read_path.py").is_file() and list((gateway / "__pycache__").glob("read_path.*.pyc"))
    assert not [p for p in files if p.suffix == ".py" and "booking_gateway" not in p.parts]
