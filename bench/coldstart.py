"""Cold start proxy: each function's import time in a fresh interpreter, side by side with a naive
Powertools handler the bench writes itself (Logger, Tracer, Metrics, a validating REST resolver,
SecretsProvider, a DynamoDB resource, a pydantic model), with tracing off and on, as Lambda starts them;
plus `python -c pass`, a bare `import boto3`, the floors every function of this design pays (Powertools'
validating resolver; botocore and one DynamoDB client) and the size of the built layers (.aws-sam/build).

Each figure is wall time and the process's CPU time (user + system: steadier when other processes load
the machine). `first_ms` adds to the import what a first request loads lazily (FIRST_REQUEST), so
deferring work to the first request never shows as a faster start."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .settings import ROOT

PROBE = (
    "import time; t = time.perf_counter(); c = time.process_time(); import {module}; "
    "print('IMPORT_MS', (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)\n"
    "{first}\n"
    "print('FIRST_MS', (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)"
)
# What a first request loads that init does not: on a cache miss (any function that calls Altegio) the
# partner token's Secrets Manager provider (Powertools parameters, boto3); for a booking, the idempotency
# store too. The naive handler builds all of it at init.
FIRST_REQUEST = (
    "import sys\n"
    "if 'booking_gateway.altegio_client' in sys.modules:\n"
    "    from booking_gateway import partner_token; partner_token.secrets_provider()\n"
    "if 'booking_gateway.bookings' in sys.modules and hasattr(sys.modules['app'], 'book_record'):\n"
    "    from booking_gateway import idempotency; idempotency._runner()"
)
# What every function of this design pays, whatever it does: floors for the ratios.
FLOORS = {
    "floor_powertools": "from aws_lambda_powertools import Logger, Metrics; "
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "import aws_lambda_powertools.event_handler.openapi.params; "
    "Logger(); Metrics(); APIGatewayRestResolver(enable_validation=True)",
    "floor_botocore": "import botocore.session; botocore.session.get_session().create_client('dynamodb')",
}
FLOORS["floor_both"] = "; ".join(FLOORS.values())
# What template.yaml's Globals give every function; local placeholders for the references.
ENV = {
    "POWERTOOLS_SERVICE_NAME": "booking-gateway",
    "POWERTOOLS_METRICS_NAMESPACE": "BookingGateway",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_PARAMETERS_MAX_AGE": "300",
    "CACHE_TABLE": "bench-cache",
    "BUDGET_TABLE": "bench-budget",
    "IDEMPOTENCY_TABLE": "bench-idempotency",
    "PARTNER_SECRET_ID": "bench/altegio-partner-token",
    "ALTEGIO_BASE_URL": "http://127.0.0.1:9/api/v1",
    "ALLOWED_LOCATION_IDS": "101,202",
    "ALLOWED_ORIGIN": "https://booking.example.com",
    "UPSTREAM_PER_SECOND": "4",
    "UPSTREAM_PER_MINUTE": "180",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    # What Lambda adds: its init builds what the code builds when it knows it runs in Lambda.
    "AWS_LAMBDA_FUNCTION_NAME": "bench-function",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
}
# The template's Tracing parameter: "off" sets POWERTOOLS_TRACE_DISABLED, "on" leaves Lambda's tracing on.
TRACING = {
    "off": {"POWERTOOLS_TRACE_DISABLED": "true"},
    "on": {"POWERTOOLS_TRACE_DISABLED": "false", "LAMBDA_TASK_ROOT": "{task_root}"},
}
NAIVE = "NaivePowertools"
# The handler a first Powertools project writes: every utility at module level, tracing decorators.
NAIVE_APP = """
import os

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from pydantic import BaseModel, Field

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
secrets = SecretsProvider()
table = boto3.resource("dynamodb").Table(os.environ["CACHE_TABLE"])


class Slot(BaseModel):
    time: str
    seance_length: int = Field(gt=0)
    datetime: str


@app.get("/api/v1/book_times/<location_id>/<team_member_id>/<date>")
@tracer.capture_method
def book_times(location_id: int, team_member_id: int, date: str) -> list[Slot]:
    item = table.get_item(Key={"pk": f"{location_id}#{team_member_id}#{date}"}).get("Item")
    return [Slot(**s) for s in item["slots"]] if item else []


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event, context):
    return app.resolve(event, context)
"""


def functions() -> list[tuple[str, str]]:
    """(logical id, folder) of every function in template.yaml whose code is under functions/."""
    text = (ROOT / "template.yaml").read_text()
    out = []
    for m in re.finditer(
        r"^  (\w+):\n    Type: AWS::Serverless::Function\n(?:.*\n)*?      CodeUri: (\S+)", text, re.M
    ):
        folder = m.group(2).strip("/")
        if (ROOT / folder / "app.py").exists():
            out.append((m.group(1), folder))
    return out


def _run(
    code: str, cwd: Path, pythonpath: list[Path], extra: dict | None = None
) -> tuple[float, dict[str, float]]:
    """(wall ms of the whole process, the figures the probe printed: import_ms, import_cpu_ms, ...)."""
    env = {**os.environ, **ENV, **(extra or {}), "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("AWS_ENDPOINT_URL", None)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)
    wall = (time.perf_counter() - t) * 1000
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    figures = {}
    for name in ("IMPORT", "FIRST"):
        m = re.search(rf"{name}_MS ([\d.]+) ([\d.]+)", done.stdout)
        if m:
            figures[f"{name.lower()}_ms"] = float(m.group(1))
            figures[f"{name.lower()}_cpu_ms"] = float(m.group(2))
    return wall, figures


def _probe(module: str = "app", first: str = "") -> str:
    return PROBE.format(module=module, first=first or "pass")


def _median(code: str, cwd: Path, path: list[Path], runs: int, warm: bool = True) -> dict:
    if warm:
        _run(code, cwd, path)  # writes the .pyc files; not counted
    walls, figures = [], []
    for _ in range(runs):
        wall, fig = _run(code, cwd, path)
        walls.append(wall)
        figures.append(fig)
    return _summary(walls, figures)


def _summary(walls: list[float], figures: list[dict[str, float]]) -> dict:
    out: dict = {"wall_ms": round(statistics.median(walls), 1) if walls else None}
    for key in ("import_ms", "import_cpu_ms", "first_ms", "first_cpu_ms"):
        values = [f[key] for f in figures if key in f]
        out[key] = round(statistics.median(values), 1) if values else None
    out["runs"] = len(walls)
    return out


def _layer(name: str) -> dict:
    layer = ROOT / ".aws-sam" / "build" / name
    if not layer.is_dir():
        return {"built": False, "note": "not built (run `make build`)"}
    files = [p for p in layer.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "layer.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for p in files:
                z.write(p, p.relative_to(layer))
        zipped = archive.stat().st_size
    arch = sorted({m.group(1) for p in files if (m := re.search(r"cpython-\d+-(\w+)-linux", p.name))})
    return {
        "built": True,
        "path": str(layer.relative_to(ROOT)),
        "files": len(files),
        "unzipped_bytes": size,
        "zipped_bytes": zipped,
        "native_arch": arch,
    }


def layer_size() -> dict:
    """The shared layer, and the X-Ray SDK's layer (attached only when the template's Tracing is on)."""
    return {**_layer("CommonLayer"), "tracing_layer": _layer("TracingLayer")}


Target = tuple[Path, list[Path], str]  # (cwd, PYTHONPATH, probe code)


def _side_by_side(targets: dict[str, Target], runs: int, log) -> dict[str, dict]:
    """Every target's import, tracing off and on, interleaved run by run (target after target), so a
    neighbour's load on the shared CPU lands on all of them alike and the ratios hold."""
    out: dict[str, dict] = {name: {} for name in targets}
    with tempfile.TemporaryDirectory() as task_root:
        for mode, extra in TRACING.items():
            extra = {k: v.format(task_root=task_root) for k, v in extra.items()}
            samples: dict[str, tuple[list[float], list[dict]]] = {n: ([], []) for n in targets}
            failed: dict[str, str] = {}
            for run in range(runs + 1):  # run 0 writes the .pyc files; not counted
                for name, (cwd, path, code) in targets.items():
                    if name in failed:
                        continue
                    try:
                        wall, fig = _run(code, cwd, path, extra)
                    except RuntimeError as exc:
                        failed[name] = str(exc)[:200]
                        continue
                    if run:
                        samples[name][0].append(wall)
                        samples[name][1].append(fig)
            for name in targets:
                out[name][mode] = {"error": failed[name]} if name in failed else _summary(*samples[name])
            log(f"  cold start, tracing {mode}: {len(targets)} targets x {runs} fresh interpreters")
    return out


def _ratio(value: float | None, naive: float | None) -> float | None:
    return round(value / naive, 3) if value and naive else None


def _ratios(fig: dict, naive: dict) -> dict:
    """Each figure over the naive handler's in the same mode; its first request is its import (it builds
    everything at init), so `first` compares our import + first request's loads with its import."""
    return {
        "import": _ratio(fig.get("import_ms"), naive.get("import_ms")),
        "import_cpu": _ratio(fig.get("import_cpu_ms"), naive.get("import_cpu_ms")),
        "first": _ratio(fig.get("first_ms"), naive.get("first_ms")),
        "first_cpu": _ratio(fig.get("first_cpu_ms"), naive.get("first_cpu_ms")),
    }


def measure(runs: int, limit: int = 0, log=print) -> dict:
    """Cold import of every function next to the naive handler and the floors, tracing off and on, in one
    run. Each function's `import_ms` is tracing off (the template's default); `tracing_on` holds the other
    figures; `ratio_off` / `ratio_on` its import time over the naive handler's in the same mode, and
    `ratios` every figure's (wall and CPU, import and import + first request)."""
    layer_src = ROOT / "layers" / "common"
    base = {
        "python_pass": _median("pass", ROOT, [], max(runs, 5)),
        "import_boto3": _median(_probe("boto3"), ROOT, [], max(runs, 5)),
    }
    fns = functions()
    if limit:
        fns = fns[:limit]
    with tempfile.TemporaryDirectory() as tmp:
        naive_dir = Path(tmp) / "naive"
        naive_dir.mkdir()
        (naive_dir / "app.py").write_text(NAIVE_APP)
        floor_dir = Path(tmp) / "floors"
        floor_dir.mkdir()
        targets: dict[str, Target] = {NAIVE: (naive_dir, [naive_dir], _probe())}
        for name, code in FLOORS.items():
            (floor_dir / f"{name}.py").write_text(code + "\n")
            targets[name] = (floor_dir, [floor_dir], _probe(name))
        targets.update(
            {
                lid: (ROOT / folder, [ROOT / folder, layer_src], _probe(first=FIRST_REQUEST))
                for lid, folder in fns
            }
        )
        figures = _side_by_side(targets, runs, log)
    naive = figures.pop(NAIVE)
    base["naive"] = {"tracing_off": naive["off"], "tracing_on": naive["on"]}
    floors = {name: figures.pop(name)["off"] for name in FLOORS}  # tracing does not change them
    base["floors"] = {name: {**fig, "ratios": _ratios(fig, naive["off"])} for name, fig in floors.items()}
    per_fn: dict[str, dict] = {}
    for lid, by_mode in figures.items():
        off, on = by_mode["off"], by_mode["on"]
        per_fn[lid] = {
            **off,
            "tracing_on": on,
            "ratio_off": _ratio(off.get("import_ms"), naive["off"].get("import_ms")),
            "ratio_on": _ratio(on.get("import_ms"), naive["on"].get("import_ms")),
            "ratios": {"off": _ratios(off, naive["off"]), "on": _ratios(on, naive["on"])},
        }

    def most(mode: str, key: str) -> float | None:
        values = [v["ratios"][mode][key] for v in per_fn.values() if v["ratios"][mode][key] is not None]
        return max(values) if values else None

    imports = [v["import_ms"] for v in per_fn.values() if v.get("import_ms") is not None]
    walls = [v["wall_ms"] for v in per_fn.values() if v.get("wall_ms") is not None]
    return {
        "python": sys.version.split()[0],
        "note": "source layer (layers/common) on this machine's CPython, with Lambda's environment "
        "(AWS_LAMBDA_FUNCTION_NAME: the DynamoDB clients are built at init); tracing on = LAMBDA_TASK_ROOT "
        "and POWERTOOLS_TRACE_DISABLED=false. first = import + what a first request loads lazily "
        "(FIRST_REQUEST). Lambda's init adds its own runtime start",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "baseline": base,
        "functions": per_fn,
        "functions_measured": len(per_fn),
        "functions_in_template": len(functions()),
        "import_ms_median": round(statistics.median(imports), 1) if imports else None,
        "import_ms_max": round(max(imports), 1) if imports else None,
        "wall_ms_median": round(statistics.median(walls), 1) if walls else None,
        "ratio_off_max": most("off", "import"),
        "ratio_on_max": most("on", "import"),
        "ratio_max": {
            mode: {key: most(mode, key) for key in ("import", "import_cpu", "first", "first_cpu")}
            for mode in ("off", "on")
        },
        "layer": layer_size(),
    }
