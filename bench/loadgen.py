"""The load generator: replays the planned sessions on a thread pool with urllib3, recording every request."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import urllib3

from .settings import Settings
from .visitor import Intent, Session

BUSINESS_CODES = range(431, 439)


@dataclass
class Target:
    """Where sessions send their requests and what they add (token, API key)."""

    name: str
    base: str  # ends with /api/v1
    headers: dict[str, str]
    cache_header: str | None = None  # X-Cache (gateway), X-Cache-Status (nginx)


@dataclass
class Reply:
    status: int
    data: Any
    codes: list[int]
    retry_after: float | None = None
    index: int = -1  # of its sample in Run.samples

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Stopped(Exception):
    """The run's time is up: the session ends where it is."""


@dataclass
class Run:
    target: str
    started: float  # wall clock of the first planned arrival (warm-up included)
    measure_from: float  # wall clock where the measured window starts
    measure_to: float  # ...and where arrivals stop
    ended: float
    samples: list[dict] = field(default_factory=list)
    shown: list[dict] = field(default_factory=list)  # book_times answers: the slots a visitor saw
    sessions: int = 0
    sessions_measured: int = 0
    abandoned: int = 0  # sessions whose last request never came back
    late_starts: int = 0  # sessions that started > 0.5 s late (all threads busy)
    errors: list[str] = field(default_factory=list)  # bench bugs, never expected


def _message(data: Any) -> str | None:
    """meta.message of an error answer (what the gateway or Altegio said went wrong)."""
    meta = data.get("meta") if isinstance(data, dict) else None
    return str(meta.get("message"))[:80] if isinstance(meta, dict) and meta.get("message") else None


def _codes(data: Any) -> list[int]:
    out: list[int] = []

    def scan(e: Any) -> None:
        if isinstance(e, list):
            for x in e:
                scan(x)
        elif isinstance(e, dict):
            code = e.get("code")
            if isinstance(code, int | str) and str(code).isdigit():
                out.append(int(code))
            elif "message" not in e:
                for x in e.values():
                    scan(x)

    if isinstance(data, dict):
        meta = data.get("meta")
        if isinstance(meta, dict):
            scan(meta.get("errors"))
        scan(data.get("errors"))
    return out


def visitor_address(sid: int) -> str:
    """A distinct private address per visitor session (10.0.0.0/8)."""
    return f"10.{(sid >> 16) & 255}.{(sid >> 8) & 255}.{sid & 255}"


def run_sessions(target: Target, intents: list[Intent], s: Settings, start: float | None = None) -> Run:
    """Replay the sessions from `start` (epoch seconds; default: in 0.3 s)."""
    http = urllib3.PoolManager(
        num_pools=4,
        maxsize=s.concurrency,
        retries=False,
        timeout=urllib3.Timeout(connect=5.0, read=s.request_timeout_s),
    )
    stop = threading.Event()
    lock = threading.Lock()
    start = start or time.time() + 0.3
    run = Run(target.name, start, start + s.warmup_s, start + s.warmup_s + s.duration_s, 0.0)

    def session(intent: Intent, measured: bool) -> None:
        def call(op, method, path, query=None, body=None, headers=None, shown=None) -> Reply:
            """One call as the page makes it: a GET answered 429/503 with a short Retry-After is asked once
            more after the pause (web/api.js); both attempts are samples, the first marked `retried`."""
            reply = attempt(op, method, path, query, body, headers, shown)
            wait = reply.retry_after
            if method == "GET" and reply.status in (429, 503) and wait is not None and 0 <= wait <= 5:
                run.samples[reply.index]["retried"] = True
                if stop.wait(wait):
                    raise Stopped
                reply = attempt(op, method, path, query, body, headers, shown)
            return reply

        def attempt(op, method, path, query=None, body=None, headers=None, shown=None) -> Reply:
            if stop.is_set():
                raise Stopped
            url = target.base + path + ("?" + urlencode(query) if query else "")
            # Each visitor its own address, as CloudFront appends it (the gateway limits codes per visitor).
            hdrs = {**target.headers, "X-Forwarded-For": visitor_address(intent.sid), **(headers or {})}
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
            t0 = time.time()
            p0 = time.perf_counter()
            status, data, cache, err, retry_after = 0, None, None, None, None
            try:
                r = http.request(method, url, body=payload, headers=hdrs, preload_content=True)
                status = r.status
                with contextlib.suppress(TypeError, ValueError):
                    retry_after = float(r.headers.get("Retry-After"))
                if target.cache_header:
                    cache = r.headers.get(target.cache_header)
                try:
                    data = json.loads(r.data) if r.data else None
                except ValueError:
                    data = None
            except Exception as exc:  # timeouts, refused connections: a failed request
                err = type(exc).__name__
            dt = (time.perf_counter() - p0) * 1000
            codes = [] if 200 <= status < 300 else _codes(data)
            sample = {
                "sid": intent.sid, "op": op, "method": method, "url": url, "t": t0, "ms": dt,
                "status": status, "cache": cache, "err": err, "codes": codes, "measured": measured,
                "loc": intent.location, "why": None if 200 <= status < 300 else _message(data),
            }  # fmt: skip
            reply = Reply(
                status, data.get("data") if isinstance(data, dict) and 200 <= status < 300 else None, codes
            )
            reply.retry_after = retry_after
            with lock:
                reply.index = len(run.samples)
                run.samples.append(sample)
                if shown is not None and reply.ok and isinstance(reply.data, list):
                    slots = [x["datetime"] for x in reply.data if isinstance(x, dict) and x.get("datetime")]
                    # When the visitor asked: an answer to a question sent before a booking was done may
                    # rightly predate it; one to a question sent after may not.
                    run.shown.append(
                        {**shown, "t": t0, "ms": dt, "slots": slots, "measured": measured, "cache": cache}
                    )
            return reply

        def sleep(seconds: float) -> None:
            if stop.wait(seconds):
                raise Stopped

        try:
            Session(intent, call, sleep).run()
        except Stopped:
            pass
        except Exception as exc:  # a bug in the model must not sink the run: keep it for the report
            with lock:
                run.errors.append(f"session {intent.sid}: {type(exc).__name__}: {exc}")

    last_arrival = start + s.warmup_s + s.duration_s
    with ThreadPoolExecutor(max_workers=s.concurrency, thread_name_prefix=f"visit-{target.name}") as pool:
        futures = []
        for intent in intents:
            due = start + intent.at
            if (wait := due - time.time()) > 0:
                time.sleep(wait)
            elif wait < -0.5:
                run.late_starts += 1
            measured = intent.at >= s.warmup_s
            run.sessions += 1
            run.sessions_measured += measured
            futures.append(pool.submit(session, intent, measured))
        if (wait := last_arrival - time.time()) > 0:
            time.sleep(wait)
        # The measured window is over: no new requests; those in flight finish (bounded by their timeout).
        stop.set()
        for f in futures:
            with contextlib.suppress(FutureTimeout):
                f.result(timeout=s.request_timeout_s + 5)
        run.abandoned = sum(not f.done() for f in futures)
    http.clear()
    run.ended = time.time()
    return run
