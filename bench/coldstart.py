"""Cold start proxy: each function's import time in a fresh interpreter, next to `python -c pass` and a
bare `import boto3`, plus the size of the built layer (.aws-sam/build/CommonLayer)."""

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
    "import time; t = time.perf_counter(); import {module}; "
    "print('IMPORT_MS', (time.perf_counter() - t) * 1000)"
)
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
}


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


def _run(code: str, cwd: Path, pythonpath: list[Path]) -> tuple[float, float | None]:
    """(wall ms of the whole process, in-process import ms or None)."""
    env = {**os.environ, **ENV, "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)
    wall = (time.perf_counter() - t) * 1000
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    m = re.search(r"IMPORT_MS ([\d.]+)", done.stdout)
    return wall, float(m.group(1)) if m else None


def _median(code: str, cwd: Path, path: list[Path], runs: int, warm: bool = True) -> dict:
    if warm:
        _run(code, cwd, path)  # writes the .pyc files; not counted
    walls, imports = [], []
    for _ in range(runs):
        wall, imp = _run(code, cwd, path)
        walls.append(wall)
        if imp is not None:
            imports.append(imp)
    return {
        "wall_ms": round(statistics.median(walls), 1),
        "import_ms": round(statistics.median(imports), 1) if imports else None,
        "runs": runs,
    }


def layer_size() -> dict:
    layer = ROOT / ".aws-sam" / "build" / "CommonLayer"
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


def measure(runs: int, limit: int = 0, log=print) -> dict:
    layer_src = ROOT / "layers" / "common"
    base = {
        "python_pass": _median("pass", ROOT, [], max(runs, 5)),
        "import_boto3": _median(PROBE.format(module="boto3"), ROOT, [], max(runs, 5)),
    }
    fns = functions()
    if limit:
        fns = fns[:limit]
    per_fn: dict[str, dict] = {}
    for n, (logical_id, folder) in enumerate(fns):
        try:
            # An uncounted first run writes the shared layer's .pyc files; a function's own app.py is small
            # (its compile lands in one run of several, and the median drops it).
            code, path = PROBE.format(module="app"), [ROOT / folder, layer_src]
            per_fn[logical_id] = _median(code, ROOT / folder, path, runs, warm=n == 0)
        except RuntimeError as exc:
            per_fn[logical_id] = {"error": str(exc)[:200]}
    imports = [v["import_ms"] for v in per_fn.values() if v.get("import_ms") is not None]
    walls = [v["wall_ms"] for v in per_fn.values() if v.get("wall_ms") is not None]
    log(f"  cold start: {len(per_fn)} functions, {runs} fresh interpreter(s) each")
    return {
        "python": sys.version.split()[0],
        "note": "source layer (layers/common) on this machine's CPython; Lambda's init adds its own "
        "runtime start",
        "baseline": base,
        "functions": per_fn,
        "functions_measured": len(per_fn),
        "functions_in_template": len(functions()),
        "import_ms_median": round(statistics.median(imports), 1) if imports else None,
        "import_ms_max": round(max(imports), 1) if imports else None,
        "wall_ms_median": round(statistics.median(walls), 1) if walls else None,
        "layer": layer_size(),
    }
