"""`python -m bench` (make bench): the gateway against direct calls and a plain nginx cache, one run.

    python -m bench                 # default: 50 req/s offered (10x Altegio's 5/s), ~5 minutes
    python -m bench --smoke         # CI: the same figures from a short, light run (well under a minute)
    python -m bench --rate 30 --duration 30 --contenders gateway,nginx --no-page --no-coldstart
    python -m bench --front-desk-rate 0   # no bookings and cancels made outside the contenders
    python -m bench --prewarm 60          # the gateway's warmer runs a minute before the first visitor

Writes bench/results/<timestamp>.json and .png and prints a table. Every figure is a ratio-friendly
measurement from this one run on this machine; compare contenders, not absolute times.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import time
from datetime import UTC, datetime

from . import chart, coldstart, page, report
from .contenders import run_contender
from .frontdesk import plan_actions
from .settings import CONTENDERS, DEFAULT, RESULTS, SMOKE, Settings, with_overrides
from .visitor import plan_sessions


def parse(argv: list[str] | None) -> Settings:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="short light run for CI (< 1 minute)")
    p.add_argument("--rate", type=float, help="offered requests/s (default 50 = 10x Altegio's 5/s)")
    p.add_argument("--duration", type=float, dest="duration_s", help="measured seconds")
    p.add_argument("--warmup", type=float, dest="warmup_s", help="seconds of arrivals before measuring")
    p.add_argument("--concurrency", type=int, help="most sessions in flight at once")
    p.add_argument("--book-share", type=float, help="share of sessions that book (0..1)")
    p.add_argument("--think-scale", type=float, help="multiplies the visitors' think times")
    p.add_argument("--latency-ms", type=float, help="upstream latency, mean (default 150)")
    p.add_argument("--jitter-ms", type=float, help="upstream latency varies by +/- this (default 25)")
    p.add_argument("--seed", type=int, help="visitor plans and arrivals, and the front desk's plan")
    p.add_argument(
        "--front-desk-rate",
        type=float,
        help="bookings and cancels a minute made at the front desk, straight at Altegio (default 4; 0: none)",
    )
    p.add_argument(
        "--webhook-workers",
        type=int,
        help="webhook deliveries the sandbox sends at once to gateway_webhooks (default 4)",
    )
    p.add_argument(
        "--prewarm",
        type=float,
        dest="prewarm_s",
        metavar="SECONDS",
        help="the gateway's warmer runs on its schedule from SECONDS before the first visitor (0: at once)",
    )
    p.add_argument("--contenders", help=f"comma-separated subset of {','.join(CONTENDERS)}")
    p.add_argument("--coldstart-runs", type=int, help="fresh interpreters per function")
    p.add_argument("--no-page", action="store_true", help="skip the headless-Chromium page figures")
    p.add_argument("--no-coldstart", action="store_true", help="skip the import-time figures")
    p.add_argument("--no-chart", action="store_true")
    a = p.parse_args(argv)
    contenders = None
    if a.contenders:
        contenders = tuple(c.strip() for c in a.contenders.split(",") if c.strip())
        unknown = set(contenders) - set(CONTENDERS)
        if unknown:
            p.error(f"unknown contender(s): {', '.join(sorted(unknown))}")
    return with_overrides(
        SMOKE if a.smoke else DEFAULT,
        rate=a.rate,
        duration_s=a.duration_s,
        warmup_s=a.warmup_s,
        concurrency=a.concurrency,
        book_share=a.book_share,
        think_scale=a.think_scale,
        latency_ms=a.latency_ms,
        jitter_ms=a.jitter_ms,
        seed=a.seed,
        front_desk_rate=a.front_desk_rate,
        webhook_workers=a.webhook_workers,
        prewarm_s=a.prewarm_s,
        contenders=contenders,
        coldstart_runs=a.coldstart_runs,
        page=False if a.no_page else None,
        coldstart=False if a.no_coldstart else None,
        chart=False if a.no_chart else None,
    )


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    s = parse(argv)
    t0 = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    intents = plan_sessions(s.rate, s.warmup_s + s.duration_s, s.book_share, s.think_scale, s.seed)
    desk = plan_actions(s.front_desk_rate, s.warmup_s + s.duration_s, s.seed)
    results: dict = {
        "schema": 1,
        "started": stamp,
        "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "settings": dataclasses.asdict(s),
        "machine": {"python": platform.python_version(), "cpus": _cpus(), "platform": platform.platform()},
        "visitors": {
            "sessions": len(intents),
            "booking_sessions": sum(i.book for i in intents),
            "planned_requests": sum(i.planned_requests() for i in intents),
        },
        "front_desk": {
            "rate_per_minute": s.front_desk_rate,
            "planned_actions": len(desk),
            "planned_cancels": sum(a.cancel for a in desk),
        },
        "contenders": {},
    }
    log(
        f"bench ({s.mode}): {len(intents)} visitor sessions, {s.rate:g} req/s offered, "
        f"front desk {len(desk)} changes planned, contenders {', '.join(s.contenders)}"
    )
    for name in s.contenders:
        log(f"- {name}: {s.warmup_s:g} s warm-up + {s.duration_s:g} s measured ...")
        t = time.perf_counter()
        try:
            results["contenders"][name] = run_contender(name, intents, s, log=log, desk_actions=desk)
        except Exception as exc:  # one contender's setup failing must not hide the others' figures
            log(f"  {name} failed: {type(exc).__name__}: {exc}")
            results["contenders"][name] = {"error": f"{type(exc).__name__}: {str(exc)[:500]}"}
        log(f"  done in {time.perf_counter() - t:.0f} s")
    results["ratios"] = report.ratios(results["contenders"])
    if s.coldstart:
        log("- cold start: import time per function ...")
        results["coldstart"] = coldstart.measure(s.coldstart_runs, s.coldstart_functions, log=log)
    if s.page:
        log("- page: headless Chromium against the local stack ...")
        results["page"] = page.measure(s, runs=1 if s.mode == "smoke" else 3, log=log)
    results["elapsed_s"] = round(time.perf_counter() - t0, 1)
    json_path = report.write_json(results, RESULTS / f"{stamp}{'-smoke' if s.mode == 'smoke' else ''}.json")
    png_path = None
    if s.chart:
        try:
            png_path = chart.draw(results, json_path.with_suffix(".png"))
        except Exception as exc:
            log(f"chart not drawn: {type(exc).__name__}: {exc}")
    print(report.table(results))
    print(f"\nJSON: {_rel(json_path)}" + (f"   chart: {_rel(png_path)}" if png_path else ""))
    print(f"elapsed {results['elapsed_s']:.0f} s")
    return 0 if all("error" not in c for c in results["contenders"].values()) else 1


def _cpus() -> int | None:
    import os

    return os.cpu_count()


def _rel(path) -> str:
    from .settings import ROOT

    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
