"""Run settings: one frozen dataclass shared by every contender, with the default and smoke presets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Contender:
    kind: str  # how it is started (bench/contenders.py): "direct", "stack" (the local gateway) or "nginx"
    description: str
    color: str  # in the chart
    webhooks: bool = False  # stack: the sandbox's webhooks go to the gateway's webhook route


# Every contender, in the order they run.
CONTENDER_SPECS = {
    "direct": Contender(
        "direct",
        "sessions call the sandbox with the partner token, all from one IP (a partner's backend), "
        "so Altegio's per-IP limit applies to all of them together",
        "#c0392b",
    ),
    "gateway": Contender(
        "stack", "local API Gateway -> handlers -> DynamoDB (moto) cache and budget -> sandbox", "#1f77b4"
    ),
    "gateway_webhooks": Contender(
        "stack",
        "the gateway, told of every record change by the sandbox's webhooks (its webhook route, "
        "webhooks.py): a change made anywhere bumps and notes the days it changed",
        "#9467bd",
        webhooks=True,
    ),
    "nginx": Contender(
        "nginx",
        "nginx proxy_cache (lock, use_stale, background update) in front of the sandbox, "
        "same freshness per operation as the gateway, no budget, no invalidation",
        "#2ca02c",
    ),
}
CONTENDERS = tuple(CONTENDER_SPECS)
PARTNER_TOKEN = "sandbox-partner-token"
ACCEPT = "application/vnd.api.v2+json"
# Altegio's limits, enforced per client IP by the sandbox.
ALTEGIO_PER_SECOND = 5
ALTEGIO_PER_MINUTE = 200


@dataclass(frozen=True)
class Settings:
    mode: str = "default"
    contenders: tuple[str, ...] = CONTENDERS
    rate: float = 50.0  # offered requests/s (visitor sessions arrive at rate / requests per session)
    duration_s: float = 50.0  # measured window: requests that start in it are the figures
    warmup_s: float = 10.0  # sessions arriving before the measured window (same for every contender)
    # Most sessions in flight at once (load-generator threads, mostly asleep in think time): high enough
    # that a slow contender never delays the next visitor's arrival.
    concurrency: int = 400
    book_share: float = 0.10  # share of sessions that go on to book
    think_scale: float = 1.0  # multiplies every think time of the visitor model
    seed: int = 7  # visitor plans and arrivals, and the front desk's plan (identical for every contender)
    # The front desk (bench/frontdesk.py): bookings and cancels a minute made straight at the sandbox.
    front_desk_rate: float = 4.0
    # The sandbox's webhook workers (deliveries sent at once) for the gateway_webhooks contender: one
    # would queue every change behind the one in flight while the gateway is busy.
    webhook_workers: int = 4
    sandbox_seed: int = 1
    latency_ms: float = 150.0  # upstream latency: mean...
    jitter_ms: float = 25.0  # ...plus or minus this (uniform)
    request_timeout_s: float = 20.0
    # Warm Lambda instances per function in the local stack. Lambda itself scales out to the account's
    # concurrency; the local default of 4 would queue requests that wait on the budget.
    lambda_instances: int = 32
    # The gateway's warmer (its one-minute schedule) starts this many seconds before the first visitor;
    # None: no warmer (the figures of a gateway without it).
    prewarm_s: float | None = None
    coldstart_runs: int = 3  # fresh interpreters per function (median reported; 5 for the baselines)
    coldstart_functions: int = 0  # 0 = every function in template.yaml
    page: bool = True
    coldstart: bool = True
    chart: bool = True


DEFAULT = Settings()
SMOKE = Settings(
    mode="smoke",
    rate=20.0,
    duration_s=6.0,
    warmup_s=2.0,
    concurrency=200,
    book_share=0.3,
    think_scale=0.15,
    front_desk_rate=30.0,  # a few changes within the short run
    coldstart_runs=1,
    coldstart_functions=3,
)


def with_overrides(base: Settings, **changes) -> Settings:
    return dataclasses.replace(base, **{k: v for k, v in changes.items() if v is not None})
