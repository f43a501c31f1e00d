"""PNG chart: per contender, client latency (p50/p95 per second) and upstream requests per second; the
titles carry the stale slots shown and the booking conflicts (433)."""

from __future__ import annotations

from pathlib import Path

from .settings import ALTEGIO_PER_SECOND, CONTENDER_SPECS


def draw(results: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in results["contenders"] if "timeline" in results["contenders"][n]]
    if not names:
        raise ValueError("no contender has a timeline")
    fig, axes = plt.subplots(2, len(names), figsize=(5.2 * len(names), 7), sharex=True, squeeze=False)
    lat_max = 1.0
    up_max = ALTEGIO_PER_SECOND + 1
    for name in names:
        tl = results["contenders"][name]["timeline"]
        lat_max = max([lat_max] + [v for v in tl["p95_ms"] if v is not None])
        up_max = max([up_max] + tl["upstream"])
    for col, name in enumerate(names):
        fig_c = results["contenders"][name]
        tl = fig_c["timeline"]
        xs = list(range(len(tl["upstream"])))
        color = CONTENDER_SPECS[name].color if name in CONTENDER_SPECS else "#555"
        ax = axes[0][col]
        ax.plot(xs, tl["p50_ms"], color=color, lw=1.5, label="p50")
        ax.plot(xs, tl["p95_ms"], color=color, lw=1, ls="--", label="p95")
        ax.set_yscale("log")
        ax.set_ylim(0.5, lat_max * 1.5)
        slots, booked = fig_c["slots"], fig_c["bookings"]
        ax.set_title(
            f"{name}: {fig_c['served_rps']:.1f} req/s served, {fig_c['failed']} failed\n"
            f"stale slots {slots['stale_slots_shown']} of {slots['slots_shown']}, "
            f"433s {booked['conflicts_433']} of {booked['attempts']}",
            fontsize=10,
        )
        ax.set_ylabel("latency, ms (answered requests)")
        ax.legend(loc="upper right", fontsize=8)
        ax = axes[1][col]
        ok = [u - e for u, e in zip(tl["upstream"], tl["upstream_429"], strict=True)]
        ax.bar(xs, ok, width=1.0, color=color, alpha=0.8, label="upstream requests")
        ax.bar(xs, tl["upstream_429"], width=1.0, bottom=ok, color="#e67e22", alpha=0.9, label="of which 429")
        ax.axhline(
            ALTEGIO_PER_SECOND, color="black", lw=1, ls=":", label=f"Altegio limit {ALTEGIO_PER_SECOND}/s"
        )
        ax.set_ylim(0, up_max * 1.1)
        ax.set_ylabel("upstream requests per second")
        ax.set_xlabel("seconds since the first visitor")
        ax.legend(loc="upper right", fontsize=8)
        for a in (axes[0][col], axes[1][col]):
            a.axvspan(0, tl["measure_from_s"], color="#999", alpha=0.15, lw=0)
            a.grid(alpha=0.3)
    s = results["settings"]
    fig.suptitle(
        f"{s['rate']:g} req/s offered, {s['duration_s']:g} s measured "
        f"after {s['warmup_s']:g} s warm-up (grey); "
        f"upstream {s['latency_ms']:g}±{s['jitter_ms']:g} ms, limits 5/s and 200/min per IP",
        fontsize=11,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
