"""Load: a sustained run at five times Altegio's limit, with faults injected mid-run.

Open loop at RATE requests a second (Altegio allows 5), for 15 s in make test and a full minute behind
the `slow` marker. Traffic: the page's reads (services, staff, dates, times, nearest slots, the booking
form, translations, privacy policy, both locations), book_check, and one booking a second, each with
its own Idempotency-Key and retried with that key after a 409/503 (Retry-After) as the page does.

The sandbox enforces Altegio's own limits (5/s, 200/min) during the run, and these faults come and go:
a 5xx burst on reads, a 429 storm on everything, malformed JSON on reads, reads hanging past the
gateway's timeout, and DynamoDB throttling every other call. Verified afterwards:

- no request lost: every request got an HTTP answer;
- no 5xx without Altegio's envelope and a message; outside the fault windows (+ grace) only the budget's
  own 503 + Retry-After: a slot list from before a booking is never served for want of budget, and one
  booking a second keeps invalidating them (counted apart as budget_503);
- no booking doubled or lost: every booking answered 201 exists exactly once in the sandbox, no slot
  holds two, and no booking exists that was answered otherwise;
- Altegio's limit was never exceeded: the sandbox answered no 429 of its own;
- no 4xx but the expected ones (a booking retried while its key is in progress): every request here is
  valid, so any other 4xx is a request refused for nothing; each is reported with its message.

The figures go to test-artifacts/reliability/load-<seconds>s.json (the README's table).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import pytest
from rel_kit import NEW_YORK, RIGA, ROOT, Reply, dynamodb_fault
from rel_ops import OPS, Demo, Req, book_record, send

from sandbox import FaultRule

RATE = 25.0  # requests a second: five times Altegio's 5/s
BOOKINGS_PER_S = 1.0
GRACE_S = 3.0  # after a window closes, retries and backoff of calls made in it may still fail
MAX_INSTANCES = 16  # warm instances per function during the run (Lambda scales out; the local stack caps)
EXPECTED_4XX = {("booking", 409)}  # the same Idempotency-Key still in progress: retried with that key
ARTIFACTS = ROOT / "test-artifacts" / "reliability"


@dataclass
class Window:
    name: str
    start: float  # fraction of the run
    end: float

    def at(self, duration: float) -> tuple[float, float]:
        return self.start * duration, self.end * duration


WINDOWS = (
    Window("5xx burst on reads", 0.15, 0.27),
    Window("429 storm", 0.33, 0.43),
    Window("malformed JSON on reads", 0.49, 0.59),
    Window("reads hang past the timeout", 0.63, 0.73),
    Window("DynamoDB throttled (every 2nd call)", 0.80, 0.90),
)


def fault_rules(duration: float) -> list[FaultRule]:
    w = {x.name: x.at(duration) for x in WINDOWS}

    def rule(name: str, **kw) -> FaultRule:
        start, end = w[name]
        return FaultRule(after_s=start, for_s=end - start, path="/api/v1/", **kw)

    return [
        rule("5xx burst on reads", kind="error", status=503, methods=["GET"]),
        rule("429 storm", kind="error", status=429),
        rule("malformed JSON on reads", kind="malformed", methods=["GET"]),
        rule("reads hang past the timeout", kind="hang", hang_s=6.5, methods=["GET"]),
    ]


@dataclass
class Sent:
    kind: str
    op: str
    t: float  # seconds since the start
    status: int = 0
    ms: float = 0.0
    error: str = ""
    envelope: bool = True
    x_cache: str | None = None
    message: str = ""
    retry_after: str | None = None

    @property
    def unexpected_4xx(self) -> bool:
        return 400 <= self.status < 500 and (self.kind, self.status) not in EXPECTED_4XX

    def answer(self) -> str:
        return f"{self.status} {self.message}".strip() if self.status else f"no answer: {self.error}"

    @property
    def budget_503(self) -> bool:
        """The gateway's own "budget spent, retry after N s": an answer by design, not a failure."""
        return self.status == 503 and "budget" in self.message and bool(self.retry_after)


@dataclass
class Booking:
    key: str
    slot: tuple[int, str]
    attempts: list[int] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # status and message of each attempt
    record_id: int | None = None

    @property
    def final(self) -> int:
        return self.attempts[-1] if self.attempts else 0


@dataclass
class Figures:
    seconds: float
    rate_per_s: float
    requests: int
    answered: int
    lost: int
    by_status: dict
    faults_injected: dict
    five_xx_seen: int
    five_xx_unexplained: int
    five_xx_outside_windows: int
    budget_503: int
    stale_served: int
    bookings: int
    bookings_confirmed: int
    bookings_doubled: int
    bookings_lost: int
    bookings_phantom: int
    booking_retries: int
    upstream_calls: int
    upstream_429_of_altegio: int
    upstream_max_per_s: int
    four_xx: dict  # "<op> <status> <message>": count, expected ones included
    four_xx_unexpected: int
    p50_ms: float
    p99_ms: float


def _read_mix(demo: Demo) -> list[Req]:
    reqs = []
    for loc in (RIGA, NEW_YORK):
        for name in (
            "book_services",
            "book_staff",
            "book_dates",
            "book_times",
            "book_staff_seances",
            "bookform",
        ):
            reqs.append(OPS[name].make(demo, loc))
        reqs.append(
            Req(
                "book_times",
                "GET",
                OPS["book_times"].make(demo, loc).path.replace(demo.day(loc), demo.day(loc, 2)),
            )
        )
    reqs += [OPS["i18n"].make(demo, RIGA), OPS["privacy_policy"].make(demo, RIGA)]
    return reqs


def _in_window(s: Sent, duration: float, grace: float) -> str | None:
    """The fault window the request overlapped (from its start to its answer), if any."""
    t_end = s.t + s.ms / 1000
    for w in WINDOWS:
        start, end = w.at(duration)
        if s.t <= end + grace and t_end >= start:
            return w.name
    return None


class LoadRun:
    def __init__(self, rel, demo: Demo, duration: float, monkeypatch) -> None:
        self.rel, self.demo, self.duration = rel, demo, duration
        self.monkeypatch = monkeypatch
        self.sent: list[Sent] = []
        self.bookings: list[Booking] = []
        self._lock = threading.Lock()
        self.rng = random.Random(8)

    def _record(self, s: Sent) -> None:
        with self._lock:
            self.sent.append(s)

    def _one(self, kind: str, req: Req, t0: float, booking: Booking | None = None) -> Reply | None:
        s = Sent(kind, req.op, time.monotonic() - t0)
        started = time.perf_counter()
        try:
            reply = send(self.rel, req, timeout=60)
        except Exception as exc:  # noqa: BLE001 - no answer: a lost request
            s.error = f"{type(exc).__name__}: {exc}"[:200]
            self._record(s)
            if booking is not None:
                booking.answers.append(s.answer())
            return None
        s.ms = (time.perf_counter() - started) * 1000
        s.status, s.x_cache = reply.status, reply.headers.get("x-cache")
        s.retry_after = reply.headers.get("retry-after")
        s.envelope = reply.status < 500 or reply.is_error_envelope
        if reply.status >= 400:
            s.message = (reply.message or reply.body)[:120]
        self._record(s)
        if booking is not None:
            booking.answers.append(s.answer())
        return reply

    def _book(self, req: Req, t0: float) -> None:
        booking = Booking(req.headers["Idempotency-Key"], req.slot)
        with self._lock:
            self.bookings.append(booking)
        for _ in range(8):
            reply = self._one("booking", req, t0, booking)
            if reply is None:
                booking.attempts.append(0)
                time.sleep(1)
                continue
            booking.attempts.append(reply.status)
            if reply.status == 201:
                booking.record_id = reply.data[0]["record_id"]
                return
            if reply.status in (409, 429, 503):  # nothing happened, or still in progress: retry with the key
                time.sleep(min(4.0, float(reply.headers.get("retry-after", "1") or 1)))
                continue
            return  # 4xx: definitive; 502/504: outcome unknown, the page looks it up

    def run(self) -> Figures:
        rel, demo, duration = self.rel, self.demo, self.duration
        reads = _read_mix(demo)
        for req in reads:  # a warm cache, as in normal service
            rel.reset_budget()
            assert send(rel, req).status == 200, req.path
        rel.reset_budget()
        n_requests = int(duration * RATE)
        n_bookings = int(duration * BOOKINGS_PER_S)
        booking_reqs = [book_record(demo) for _ in range(n_bookings)]
        plan: list[tuple[float, str, Req]] = []
        for i in range(n_requests - n_bookings):
            t = i * duration / (n_requests - n_bookings)
            if self.rng.random() < 0.06:
                plan.append((t, "check", OPS["book_check"].make(demo, NEW_YORK)))
            else:
                plan.append((t, "read", self.rng.choice(reads)))
        plan += [((i + 0.5) / BOOKINGS_PER_S, "booking", req) for i, req in enumerate(booking_reqs)]
        plan.sort(key=lambda p: p[0])
        sb = rel.sandbox
        mark = rel.mark()
        seq0 = max((e["seq"] for e in sb.requests()), default=0)
        with dynamodb_fault(self.monkeypatch, "throttled", every=2, active=False) as ddb:
            sb.configure(rate_limit=True, per_second=5, per_minute=200, faults=fault_rules(duration))
            ddb_window = next(w for w in WINDOWS if w.name.startswith("DynamoDB")).at(duration)
            t0 = time.monotonic()
            with ThreadPoolExecutor(max_workers=96) as pool:
                futures = []
                for t, kind, req in plan:
                    now = time.monotonic() - t0
                    ddb.active = ddb_window[0] <= now < ddb_window[1]
                    if t > now:
                        time.sleep(t - now)
                    ddb.active = ddb_window[0] <= time.monotonic() - t0 < ddb_window[1]
                    if kind == "booking":
                        futures.append(pool.submit(self._book, req, t0))
                    else:
                        futures.append(pool.submit(self._one, kind, req, t0))
                while time.monotonic() - t0 < ddb_window[1]:
                    ddb.active = time.monotonic() - t0 >= ddb_window[0]
                    time.sleep(0.05)
                ddb.active = False
                for f in futures:
                    f.result()
            sb.configure(rate_limit=False, faults=[])
        ledger = [e for e in sb.requests() if e["seq"] > seq0]
        upstream = rel.upstream_since(mark, api_only=True)
        self.upstream = [
            {
                "t": round(e["ts"] - (time.time() - (time.monotonic() - t0)), 3),
                "m": e["method"],
                "p": e["path"][:60],
            }
            for e in upstream
        ]
        self.ledger = [
            {
                "t": round(e["ts"] - (time.time() - (time.monotonic() - t0)), 3),
                "s": e["status"],
                "f": e["fault"],
                "p": e["path"][:60],
            }
            for e in ledger
        ]
        return self._figures(ledger, upstream, ddb)

    def _figures(self, ledger: list[dict], upstream: list[dict], ddb) -> Figures:
        duration = self.duration
        made = [a for a in self.rel.sandbox.appointments() if not a["demo"] and not a["activity_id"]]
        by_slot = Counter((a["staff_id"], a["datetime"]) for a in made)
        confirmed = [b for b in self.bookings if b.final == 201]
        doubled = sum(1 for n in by_slot.values() if n > 1)
        lost = sum(
            1 for b in confirmed if by_slot[b.slot] != 1 or b.record_id not in {a["record_id"] for a in made}
        )
        unknown = {b.slot for b in self.bookings if b.final in (0, 502, 504)}
        phantom = sum(
            1 for b in self.bookings if b.final != 201 and b.slot not in unknown and by_slot[b.slot] > 0
        )
        five = [s for s in self.sent if s.status >= 500]
        outside = [s for s in five if _in_window(s, duration, GRACE_S) is None and not s.budget_503]
        lat = sorted(s.ms for s in self.sent if s.status)
        ts = sorted(e["ts"] for e in upstream)
        per_s = [(round(a - ts[0], 2), sum(1 for t in ts if a <= t < a + 1.0)) for a in ts]
        self.bursts = [(t, n) for t, n in per_s if n > 5]
        max_per_s = max((n for _, n in per_s), default=0)
        faults = Counter(e["fault"] for e in ledger if e["fault"])
        faults["dynamodb:throttled"] = ddb.injected
        four = Counter(f"{s.op} {s.answer()}" for s in self.sent if 400 <= s.status < 500)
        return Figures(
            seconds=duration,
            rate_per_s=RATE,
            requests=len(self.sent),
            answered=sum(1 for s in self.sent if s.status),
            lost=sum(1 for s in self.sent if not s.status),
            by_status=dict(sorted(Counter(s.status for s in self.sent).items())),
            faults_injected=dict(faults),
            five_xx_seen=len(five),
            five_xx_unexplained=sum(1 for s in five if not s.envelope or s.status == 500),
            five_xx_outside_windows=len(outside),
            budget_503=sum(1 for s in five if s.budget_503),
            stale_served=sum(1 for s in self.sent if s.x_cache == "stale"),
            bookings=len(self.bookings),
            bookings_confirmed=len(confirmed),
            bookings_doubled=doubled,
            bookings_lost=lost,
            bookings_phantom=phantom,
            booking_retries=sum(len(b.attempts) - 1 for b in self.bookings),
            upstream_calls=len(upstream),
            upstream_429_of_altegio=sum(1 for e in ledger if e["status"] == 429 and not e["fault"]),
            upstream_max_per_s=max_per_s,
            four_xx=dict(four.most_common()),
            four_xx_unexpected=sum(1 for s in self.sent if s.unexpected_4xx),
            p50_ms=round(lat[len(lat) // 2], 1) if lat else 0.0,
            p99_ms=round(lat[int(len(lat) * 0.99)], 1) if lat else 0.0,
        )


def _run_and_check(rel, demo, monkeypatch, seconds: float) -> Figures:
    for pool in rel.stack.functions.pools.values():
        monkeypatch.setattr(pool, "max_instances", max(pool.max_instances, MAX_INSTANCES))
    run = LoadRun(rel, demo, seconds, monkeypatch)
    fig = run.run()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / f"load-{int(seconds)}s.json"
    five = [asdict(s) for s in run.sent if s.status >= 500]
    unexpected_4xx = [asdict(s) for s in run.sent if s.unexpected_4xx]
    unconfirmed = [asdict(b) for b in run.bookings if b.final != 201]
    detail = {
        "figures": asdict(fig),
        "windows": {w.name: w.at(seconds) for w in WINDOWS},
        "five_xx": five,
        "unexpected_4xx": unexpected_4xx,
        "unconfirmed_bookings": unconfirmed,
        "bursts_over_5_per_s": run.bursts,
        "upstream": run.upstream,
        "ledger": run.ledger,
    }
    out.write_text(json.dumps(detail, indent=1))
    print("\n" + "\n".join(f"  {k:28} {v}" for k, v in asdict(fig).items()) + f"\n  written to {out}")
    problems = []
    if fig.lost:
        problems.append(f"{fig.lost} requests got no answer")
    if fig.five_xx_unexplained:
        problems.append(f"{fig.five_xx_unexplained} 5xx without a clear message (or a 500)")
    if fig.five_xx_outside_windows:
        outside = [
            asdict(s)
            for s in run.sent
            if s.status >= 500 and _in_window(s, seconds, GRACE_S) is None and not s.budget_503
        ]
        problems.append(f"{fig.five_xx_outside_windows} 5xx outside the fault windows, e.g. {outside[:5]}")
    if fig.bookings_doubled or fig.bookings_lost or fig.bookings_phantom:
        problems.append(
            f"bookings doubled {fig.bookings_doubled}, lost {fig.bookings_lost}, "
            f"phantom {fig.bookings_phantom}"
        )
    if fig.four_xx_unexpected:
        seen = Counter(f"{s['kind']} {s['op']} {s['status']} {s['message']}" for s in unexpected_4xx)
        problems.append(
            f"{fig.four_xx_unexpected} unexpected 4xx answers to valid requests: "
            + "; ".join(f"{n} x {what}" for what, n in seen.most_common())
        )
    if fig.bookings_confirmed != fig.bookings:
        problems.append(
            f"only {fig.bookings_confirmed} of {fig.bookings} bookings confirmed: {unconfirmed[:5]}"
        )
    if fig.upstream_429_of_altegio or fig.upstream_max_per_s > 5:
        problems.append(
            f"Altegio's limit exceeded: {fig.upstream_429_of_altegio} of its own 429s, "
            f"{fig.upstream_max_per_s} calls in one second"
        )
    if sum(fig.faults_injected.values()) < 10:
        problems.append(f"too few faults were injected to mean anything: {fig.faults_injected}")
    assert not problems, "\n".join(problems)
    return fig


def test_load_bounded(rel, demo, monkeypatch):
    _run_and_check(rel, demo, monkeypatch, 15.0)


@pytest.mark.slow
def test_load_one_minute(rel, fresh, monkeypatch):
    demo = Demo(fresh)
    demo.fill_slots(days=20)
    _run_and_check(rel, demo, monkeypatch, 60.0)
