"""Ratios measured in one run, the table printed on stdout, and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from .visitor import OPERATIONS


def _ratio(a, b) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def ratios(contenders: dict) -> dict:
    """How the gateway compares with each other contender (same run settings, same machine, same run)."""
    gw = contenders.get("gateway")
    if not gw or "latency_ms" not in gw:
        return {}
    out = {}
    for other, c in contenders.items():
        if other == "gateway" or "latency_ms" not in c:
            continue
        out[f"gateway_vs_{other}"] = {
            # gateway latency / other latency (answered requests): < 1 means the gateway is faster
            "latency_p50": _ratio(gw["latency_ms"]["p50"], c["latency_ms"]["p50"]),
            "latency_p95": _ratio(gw["latency_ms"]["p95"], c["latency_ms"]["p95"]),
            "latency_p99": _ratio(gw["latency_ms"]["p99"], c["latency_ms"]["p99"]),
            # > 1: the gateway serves that many times more requests per second
            "served_ratio": _ratio(gw["served_rps"], c["served_rps"]),
            # < 1: the gateway sends that share of the other's upstream traffic
            "upstream_ratio": _ratio(
                gw["upstream"]["requests_in_window"], c["upstream"]["requests_in_window"]
            ),
            "failed": {"gateway": gw["failed"], other: c["failed"]},
        }
    return out


def _fmt(v, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _lat(d: dict | None) -> str:
    if not d:
        return "-"
    return f"{_fmt(d['p50'], 0)}/{_fmt(d['p95'], 0)}/{_fmt(d['p99'], 0)}"


def _desk(c: dict) -> str:
    desk = c.get("front_desk") or {}
    return f"{desk.get('changes', 0)} ({desk.get('booked', 0)}/{desk.get('cancelled', 0)})"


def _cpu(cpu: dict) -> str:
    server = sum(v for k, v in cpu.items() if k in ("gateway", "moto", "nginx"))
    return f"{server:.1f} / {cpu.get('other_processes', 0):.1f}"


FLOORS = {
    "floor_powertools": "Powertools' validating resolver, Logger, Metrics",
    "floor_botocore": "botocore + one DynamoDB client",
    "floor_both": "both (the least a function reading DynamoDB loads)",
}


def coldstart_lines(cold: dict) -> list[str]:
    """The cold-start section (bench/coldstart.py's figures)."""
    lines: list[str] = []
    b = cold["baseline"]
    per_fn_runs = next(iter(cold["functions"].values()), {}).get("runs", "-")
    lines += [
        "",
        f"cold start (python {cold['python']}, medians of fresh interpreters: "
        f"{b['python_pass']['runs']} per baseline, {per_fn_runs} per function):",
    ]
    lines.append(
        f"  python -c pass {b['python_pass']['wall_ms']} ms; "
        f"import boto3 {b['import_boto3']['import_ms']} ms "
        f"(process {b['import_boto3']['wall_ms']} ms)"
    )
    naive = b.get("naive")
    if naive:
        off, on = naive["tracing_off"], naive["tracing_on"]
        lines.append(
            f"  naive Powertools handler: import {off.get('import_ms')} ms tracing off, "
            f"{on.get('import_ms')} ms on; CPU {off.get('import_cpu_ms')} / {on.get('import_cpu_ms')} ms "
            "(the ratios below are to it, mode by mode)"
        )
    for name, fl in (b.get("floors") or {}).items():
        r = fl.get("ratios") or {}
        lines.append(
            f"  floor, {FLOORS.get(name, name)}: {fl.get('import_ms')} ms ({_fmt(r.get('import'), 2)}x), "
            f"CPU {fl.get('import_cpu_ms')} ms ({_fmt(r.get('import_cpu'), 2)}x)"
        )
    if cold.get("load_average"):
        lines.append(f"  load average while measured: {cold['load_average']}")
    if cold["functions"]:
        lines.append(
            f"  functions ({cold['functions_measured']} of {cold['functions_in_template']}): "
            f"import median {cold['import_ms_median']} ms, max {cold['import_ms_max']} ms; "
            f"process median {cold['wall_ms_median']} ms; ratio to naive max "
            f"{_fmt(cold.get('ratio_off_max'), 2)}x tracing off, {_fmt(cold.get('ratio_on_max'), 2)}x on"
        )
        most = cold.get("ratio_max")
        if most:
            lines.append(
                "  ratio to naive max, off / on: CPU "
                f"{_fmt(most['off']['import_cpu'], 2)}x / {_fmt(most['on']['import_cpu'], 2)}x; "
                f"with the first request's loads {_fmt(most['off']['first'], 2)}x / "
                f"{_fmt(most['on']['first'], 2)}x (CPU {_fmt(most['off']['first_cpu'], 2)}x / "
                f"{_fmt(most['on']['first_cpu'], 2)}x)"
            )
        for fn, v in cold["functions"].items():
            if "import_ms" not in v:
                lines.append(f"    {fn:40} {v.get('error', '')}")
                continue
            on = v.get("tracing_on") or {}
            r = (v.get("ratios") or {}).get("off") or {}
            lines.append(
                f"    {fn:40} {v['import_ms']} ms ({_fmt(v.get('ratio_off'), 2)}x) off, "
                f"{on.get('import_ms', '-')} ms ({_fmt(v.get('ratio_on'), 2)}x) on; off: CPU "
                f"{_fmt(r.get('import_cpu'), 2)}x, + first request {_fmt(r.get('first'), 2)}x"
            )
    layer = cold["layer"]
    if layer.get("built"):
        lines.append(
            f"  layer {layer['path']}: {layer['unzipped_bytes'] / 1e6:.1f} MB unzipped, "
            f"{layer['zipped_bytes'] / 1e6:.1f} MB zipped, {layer['files']} files, "
            f"native {layer['native_arch']}"
        )
        tracing = layer.get("tracing_layer") or {}
        if tracing.get("built"):
            lines.append(
                f"  tracing layer (Tracing=on only): {tracing['unzipped_bytes'] / 1e6:.1f} MB unzipped"
            )
    else:
        lines.append(f"  layer: {layer['note']}")
    return lines


def table(results: dict) -> str:
    s = results["settings"]
    cs = {k: v for k, v in results["contenders"].items() if "latency_ms" in v}
    names = list(cs)
    w = 20
    lines = [
        f"make bench ({s['mode']}): {s['rate']:g} req/s offered by visitor sessions "
        f"for {s['duration_s']:g} s "
        f"(after {s['warmup_s']:g} s warm-up), at most {s['concurrency']} sessions at once, "
        f"{s['book_share']:.0%} book;",
        f"upstream = sandbox Altegio with its limits on (5/s, 200/min per IP) and {s['latency_ms']:g}±"
        f"{s['jitter_ms']:g} ms latency; every contender gets a fresh sandbox and the same visitors;",
        f"a front desk books and cancels {s['front_desk_rate']:g} times a minute straight at the sandbox "
        "(the same plan for every contender).",
        "",
        f"{'':34}" + "".join(f"{n:>{w}}" for n in names),
    ]

    def row(label: str, fn) -> None:
        lines.append(f"{label:34}" + "".join(f"{fn(cs[n]):>{w}}" for n in names))

    row("offered req/s", lambda c: _fmt(c["offered_rps"]))
    row("served req/s", lambda c: _fmt(c["served_rps"]))
    row("failed requests", lambda c: f"{c['failed']} ({c['failed_share']:.1%})")
    row("  seen by visitors (after retry)", lambda c: str(c["failed_seen_by_visitors"]))
    row("  most common failure", lambda c: next((f"{k} x{v}" for k, v in c["failed_by_status"].items()), "-"))
    row(
        "  most failing operation",
        lambda c: next((f"{k} x{v}" for k, v in c["failed_by_operation"].items()), "-"),
    )
    row("latency p50/p95/p99 ms", lambda c: _lat(c["latency_ms"]))
    row("upstream busiest second", lambda c: str(c["upstream"]["busiest_second"]))
    row("upstream busiest minute", lambda c: str(c["upstream"]["busiest_minute"]))
    row("upstream 429s", lambda c: str(c["upstream"]["status_429"]))
    row("upstream calls per request", lambda c: _fmt(c["upstream"]["per_client_request"], 3))
    row("cache hit ratio", lambda c: f"{c['cache']['hit_ratio']:.1%}")
    row("stale slots shown", lambda c: f"{c['slots']['stale_slots_shown']} of {c['slots']['slots_shown']}")
    row("  after a front-desk change", lambda c: str(c["slots"]["stale_from_external_changes"]))
    row("  asked before its webhook came", _before_webhook)
    row("freed while answered (not stale)", lambda c: str(c["slots"].get("freed_while_answered", "-")))
    row("front-desk changes (book/cancel)", _desk)
    row(
        "booking conflicts (433)",
        lambda c: f"{c['bookings']['conflicts_433']} of {c['bookings']['attempts']}",
    )
    row("bookings created", lambda c: str(c["bookings"]["created"]))
    row("server CPU ms per request", lambda c: _fmt(c.get("cpu_ms_per_request"), 2))
    row("CPU s: server / others", lambda c: _cpu(c.get("cpu_seconds") or {}))
    lines += ["", "latency per operation, p50/p95/p99 ms (answered requests):"]
    for op in OPERATIONS:
        if any(op in c["latency_ms_by_operation"] for c in cs.values()):
            row(f"  {op}", lambda c, op=op: _lat(c["latency_ms_by_operation"].get(op)))
    if results.get("ratios"):
        lines.append("")
    for key, r in results.get("ratios", {}).items():
        other = key.removeprefix("gateway_vs_")
        lines.append(
            f"gateway / {other}: latency p50 {_fmt(r['latency_p50'], 2)}x, p95 {_fmt(r['latency_p95'], 2)}x, "
            f"p99 {_fmt(r['latency_p99'], 2)}x (< 1 = gateway faster); served req/s "
            f"{_fmt(r['served_ratio'], 2)}x; upstream calls {_fmt(r['upstream_ratio'], 2)}x; "
            f"failed {r['failed']['gateway']} vs {r['failed'][other]}"
        )
    if "direct" in cs:
        lines.append(
            "direct: every session calls from one IP (a partner backend holding the token), "
            "so Altegio's per-IP limit applies to all of them together."
        )
    cold = results.get("coldstart")
    if cold:
        lines += coldstart_lines(cold)
    page = results.get("page")
    if page:
        lines.append("")
        if page.get("available"):
            f, c, wm = page["first_load"], page["cold_cache"], page["warm_cache"]
            lines.append(
                f"page (Chromium {page['chromium']}): first load {f['bytes_total'] / 1024:.1f} KB "
                f"({f['bytes_static'] / 1024:.1f} KB static + {f['bytes_api'] / 1024:.1f} KB API, "
                f"{f['requests']} requests)"
            )
            lines.append(
                f"  navigation -> first bookable day: {c.get('first_bookable_day_ms')} ms cold cache, "
                f"{wm['first_bookable_day_ms']} ms warm; -> slots shown (after a click): "
                f"{c.get('slots_shown_ms')} ms cold, {wm['slots_shown_ms']} ms warm"
            )
            lines.append(
                f"  tap on a day -> its times shown: {c.get('tap_to_slots_ms')} ms cold cache, "
                f"{wm.get('tap_to_slots_ms')} ms warm (median of {wm.get('runs')}; goal <= 100 ms warm)"
            )
            far = page.get("far_warm_cache") or {}
            lines.append(
                f"  with every request {far.get('rtt_ms')} ms longer (a phone): first bookable day "
                f"{far.get('first_bookable_day_ms')} ms; tap -> times {far.get('tap_to_slots_ms')} ms "
                f"at once, {far.get('tap_to_slots_after_look_ms')} ms after a look of a second"
            )
        else:
            lines.append(f"page: not measured ({page.get('note')})")
    cores = results["machine"]["cpus"] or 1
    busy = {
        n: c["cpu_seconds"]["other_processes"] / (c["wall_s"] * cores)
        for n, c in cs.items()
        if c.get("cpu_seconds", {}).get("other_processes", 0) > 0.1 * c.get("wall_s", 0) * cores
    }
    if busy:
        lines.append(
            "warning: other processes used "
            + ", ".join(f"{v:.0%} of the machine during {n}" for n, v in busy.items())
            + ": these figures are skewed; rerun on an idle machine"
        )
    for name, c in results["contenders"].items():
        if "error" in c:
            lines.append(f"{name}: not run ({c['error']})")
    return "\n".join(lines)


def write_json(results: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return path


def _before_webhook(c: dict) -> str:
    """Stale slots asked for before the webhook of the change taking them was answered, and when."""
    before = c["slots"].get("stale_before_webhook")
    if before is None:
        return "-"
    window = before["ask_s_after_change"]
    return f"{before['count']}" + (f" ({window[0]:g}-{window[1]:g} s)" if window else "")
