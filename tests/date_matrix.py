"""The date matrix: instants that break naive date code, and the date-sensitive suites run at each.

    python tests/date_matrix.py                      # the default instant (make test)
    python tests/date_matrix.py --dates all          # every instant (make test LONG=1)
    python tests/date_matrix.py --dates leap-day,2027-01-01T00:30:00+02:00 -- -x -k holds
    python tests/date_matrix.py --list

Each instant is one pytest process with TEST_NOW set: the sandbox starts pinned there (and moves on),
tests/conftest.py `test_now()` returns it, the browser's clock starts at the sandbox's now
(tests/browser/conftest.py). Arguments after `--` go to every run; paths among them replace SUITES.
Exit status 1 when any run failed; a summary of every run comes last.

The default is fixed, not rotated, so a red `make test` always means a change, never the calendar:
`new-year` (a location's today is the year's last day, late evening, its tomorrow in the next month and
year, the other location still on Dec 31). `make test LONG=1` runs them all.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name -> instant (ISO with the offset of the zone it is meant for). Riga: Europe/Riga, NY: America/New_York.
INSTANTS = {
    # the real date: no TEST_NOW (what `make test` runs the whole suite at)
    "real": None,
    # the afternoon the issue was filed: Riga's today has a few times left, the page ends under them
    "afternoon": "2026-12-04T16:30:00+02:00",
    # a month's last day, 18:30 in Riga: nothing left today there, the next free day is in May
    "month-end": "2027-04-30T18:30:00+03:00",
    # Dec 31 -> Jan 1: 22:30 in Riga (tomorrow is next year), 15:30 on Dec 31 in New York
    "new-year": "2026-12-31T22:30:00+02:00",
    # Feb 29 of a leap year (noon in New York, 19:00 in Riga); +1 year has no such day
    "leap-day": "2028-02-29T12:00:00-05:00",
    # Riga's spring night (last Sunday of March, 03:00 -> 04:00): a 23-hour day
    "riga-spring": "2027-03-28T01:30:00+02:00",
    # Riga's autumn night (last Sunday of October, 04:00 -> 03:00): a 25-hour day, 03:30 happens twice
    # (the first one); also a month's last day
    "riga-autumn": "2027-10-31T03:30:00+03:00",
    # New York's spring night (second Sunday of March, 02:00 -> 03:00)
    "ny-spring": "2027-03-14T01:30:00-05:00",
    # New York's autumn night (first Sunday of November, 02:00 -> 01:00): 01:30 EDT, before it repeats
    "ny-autumn": "2027-11-07T01:30:00-04:00",
    # a plain Sunday, midday: weekly days off and Sunday-first weeks (en-US) vs Monday-first (lv-LV)
    "sunday": "2027-06-13T12:00:00+03:00",
    # the demo's holiday (sandbox/demo_data.py: seeded, today + 8..14 days, seed 1: Riga +9, New York +12)
    # is never today; here Riga's falls on Jan 1, the first day of the next month and year
    "holiday": "2026-12-23T10:00:00+02:00",
    # Monday 00:04 in New York (07:04 in Riga): the hour stop 26's CI ran at. Two days back is a Saturday,
    # a weekly day off for some; New York's tomorrow has a member off
    "ny-monday": "2026-12-07T00:04:00-05:00",
    # 23:59 in New York: the UTC date (and Riga's) is already the next day; the day turns during the run
    "late": "2027-01-15T23:59:00-05:00",
}
DEFAULT = "new-year"

SUITES = (
    "tests/sandbox",  # availability, dates, schedules, holidays, full days
    "tests/writes/test_wr_holds.py",
    "tests/writes/test_wr_stand_in.py",
    "tests/writes/test_wr_invalidation.py",
    "tests/writes/test_wr_check_cache.py",
    "tests/writes/test_wr_idempotency.py",  # books "any" where two members are free at once
    "tests/writes/test_wr_webhooks.py",  # fills, books and moves a member's next day at the front desk
    "tests/browser",  # the page's flows, its clock pinned with the sandbox's
)
# The clock's own tests set their instants themselves and expect a session sandbox on real time.
IGNORE = ("--ignore=tests/sandbox/test_sandbox_clock.py",)


def resolve(spec: str) -> list[tuple[str, str | None]]:
    """'default' | 'all' | 'none' | comma-separated names or ISO instants -> [(name, instant or None)]."""
    spec = (spec or "default").strip()
    if spec == "none":
        return []
    if spec == "all":  # the pinned ones: `make test` runs the whole suite at the real date anyway
        return [(name, when) for name, when in INSTANTS.items() if when]
    out = []
    for item in (s.strip() for s in spec.split(",")):
        name = DEFAULT if item == "default" else item
        if name in INSTANTS:
            out.append((name, INSTANTS[name]))
            continue
        when = datetime.fromisoformat(item)  # a ValueError names the bad one
        if when.utcoffset() is None:
            raise ValueError(f"{item}: an instant needs its UTC offset")
        out.append((item, item))
    return out


def _is_path(arg: str) -> bool:
    return not arg.startswith("-") and (ROOT / arg.split("::")[0]).exists()


def run(instants: list[tuple[str, str | None]], extra: list[str]) -> int:
    if not instants:
        print("date matrix: skipped (DATES=none)")
        return 0
    targets = [*SUITES, *IGNORE] if not any(_is_path(a) for a in extra) else []
    results = []
    for name, when in instants:
        env = {k: v for k, v in os.environ.items() if k != "TEST_NOW"}
        if when:
            env["TEST_NOW"] = when
        label = f"{name} ({when})" if when and when != name else name
        print(f"\n=== date matrix: {label} ===", flush=True)
        start = time.monotonic()
        rc = subprocess.call([sys.executable, "-m", "pytest", *targets, *extra], cwd=ROOT, env=env)
        results.append((label, rc, time.monotonic() - start))
    print("\n=== date matrix summary ===")
    for label, rc, took in results:
        verdict = {0: "passed", 5: "no tests selected"}.get(rc, f"FAILED (exit {rc})")
        print(f"  {label:48s} {verdict:22s} {took:6.0f} s")
    return 1 if any(rc not in (0, 5) for _, rc, _ in results) else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dates", default="default", help="default | all | none | name,name,... or ISO instants"
    )
    parser.add_argument("--list", action="store_true", help="print the instants and exit")
    args = parser.parse_args(own)
    if args.list:
        for name, when in INSTANTS.items():
            print(f"{name:12s} {when or '(real time)'}{'  <- default' if name == DEFAULT else ''}")
        return 0
    return run(resolve(args.dates), extra)


if __name__ == "__main__":
    sys.exit(main())
