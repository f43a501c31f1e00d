"""`python -m devstack.invoke <LogicalId> <event.json>` (make invoke): one function, one event.

`sam local invoke` when a container runtime answers; otherwise the handler runs here, with the
template's environment and the layer on sys.path, against `make dev`'s moto and sandbox when it runs
(read from .devstack/state.json), else against an ephemeral moto + sandbox started for this call.
An event whose dates have passed (the files in events/ are fixed) has them moved ahead by whole weeks,
so the weekday, and with it the team members' schedules, stay the same (--keep-dates: as written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from . import aws, iam, procs
from .cfn import TemplateError
from .runtime import FunctionError, Functions
from .stack import DEFAULT_API_KEY, LocalStack
from .template import ROOT, Template

log = logging.getLogger("devstack")


def container_runtime() -> bool:
    docker = shutil.which("docker")
    if not docker:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def sam_command() -> str | None:
    local = ROOT / ".venv-sam" / "bin" / "sam"
    return str(local) if local.exists() else shutil.which("sam")


def running_stack(state_dir: Path) -> dict | None:
    """make dev's state, if that process and its moto are alive."""
    try:
        state = json.loads((state_dir / "state.json").read_text())
    except (OSError, ValueError):
        return None
    if not procs.alive(state.get("pid", 0)) or not all(
        procs.alive(p) for p in state.get("children", {}).values()
    ):
        return None
    return state


_DATE = re.compile(r"(?<!\d)(\d{4})-(\d\d)-(\d\d)(?!\d)")


def move_past_dates(text: str, today: date) -> tuple[str, int]:
    """Every ISO date in the event moved ahead by the whole weeks that put the earliest after today, and
    how many weeks (0: nothing had passed)."""
    found = [date(int(y), int(m), int(d)) for y, m, d in _DATE.findall(text)]
    if not found or min(found) > today:
        return text, 0
    weeks = (today - min(found)).days // 7 + 1
    shift = timedelta(weeks=weeks)

    def moved(match: re.Match) -> str:
        return (date(*map(int, match.groups())) + shift).isoformat()

    return _DATE.sub(moved, text), weeks


def invoke_in_process(template_path: Path, fn: str, event: dict, state_dir: Path) -> dict:
    state = running_stack(state_dir)
    if state and Path(state["template"]) == template_path.resolve():
        print(
            f"using make dev's stack (moto {state['moto_url']}, "
            f"upstream {state['parameters'].get('AltegioBaseUrl')})",
            file=sys.stderr,
        )
        template = Template(template_path, state["parameters"])
        os.environ.update({**template.environment([fn]), **aws.aws_env(state["moto_url"], template.region)})
        return Functions(template, max_instances=1, access=iam.AccessCheck()).invoke(fn, event)
    print("make dev is not running: starting an ephemeral moto + sandbox for this call", file=sys.stderr)
    with LocalStack(template_path=template_path, moto_mode="thread", serve=False) as stack:
        return stack.invoke(fn, event)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devstack.invoke", description=__doc__.splitlines()[0])
    p.add_argument("function", help="logical id, e.g. BookTimesFunction")
    p.add_argument("event", type=Path, help="event file, e.g. events/book_times.json")
    p.add_argument("--in-process", action="store_true", help="never use sam local invoke")
    p.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    p.add_argument("--state-dir", type=Path, default=ROOT / ".devstack")
    p.add_argument("--keep-dates", action="store_true", help="send the event's dates as written")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        text, weeks = a.event.read_text(), 0
        if not a.keep_dates:
            text, weeks = move_past_dates(text, date.today())
        event = json.loads(text)
        functions = Template(a.template, local={"PageApiKeyValue": DEFAULT_API_KEY}).functions
    except (OSError, ValueError, TemplateError) as exc:
        print(f"cannot invoke: {exc}", file=sys.stderr)
        return 2
    if a.function not in functions:
        print(
            f"no function {a.function!r}; the template has: {', '.join(sorted(functions))}", file=sys.stderr
        )
        return 2
    if weeks:
        print(f"{a.event}: its dates had passed; moved {weeks} week(s) ahead", file=sys.stderr)
    sam = sam_command()
    if not a.in_process and sam and container_runtime():
        # Without -t, sam prefers .aws-sam/build (the built layer); `make build` first.
        custom = a.template.resolve() != (ROOT / "template.yaml").resolve()
        extra = ["-t", str(a.template)] if custom else []
        with tempfile.NamedTemporaryFile("w", suffix=".json") as moved:
            moved.write(text)
            moved.flush()
            sent = moved.name if weeks else str(a.event)
            return subprocess.call([sam, "local", "invoke", a.function, "-e", sent, *extra])
    try:
        with contextlib.redirect_stdout(sys.stderr):  # function logs to stderr, the result alone to stdout
            result = invoke_in_process(a.template, a.function, event, a.state_dir)
    except FunctionError as exc:
        print(json.dumps(exc.payload(), indent=2))
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
