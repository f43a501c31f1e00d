"""Altegio's company webhooks, played by the sandbox (altegio-api.md §10).

Every record change on any path (the online-booking API, a group event, the front desk) is one event
`{company_id, resource: "record", resource_id, status, data}`, `data` being the record as the records API
reads it after the change (payloads.hook_record). The state notes a change under its lock, so events are
numbered in the order the changes happened; sending is a background worker's job, never the job of the
request that made the change.

Where to: each location's hooks_settings (GET|POST /hooks_settings/{company_id}; the `webhook_urls` knob
seeds every location's). `webhook_workers` workers (default one) each send one delivery at a time; with
more, a slow receiver does not queue the changes behind it, and the order knobs only pick who goes next.
A 2xx answer delivers a delivery; any other answer, or none within `webhook_timeout_s`, is a failure, tried
again after `webhook_backoff_s` (doubling each time) until `webhook_max_attempts`, then given up. A retry does
not hold later deliveries back: Altegio documents no ordering, so a receiver must cope anyway. Other knobs
(config.py): a delay, a pause, every Nth change delivered twice, the order among deliveries due together
(fifo; lifo, with a pause or a delay, sends a batch newest first; shuffle), a cancel sent as "delete" or as
"update" with deleted: true.
Delays and backoff run on the sandbox clock's monotonic(), so an advance moves them.

The delivery log has one entry per attempt: to where (URL masked), what (client data masked), the answer,
when. `changes()` lists every change with the record's interval before and after it (the benchmark's
stale-slot count replays them).
"""

from __future__ import annotations

import copy
import json
import logging
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import urllib3

from . import payloads
from .masking import mask, mask_url

if TYPE_CHECKING:
    from .clock import SandboxClock
    from .config import SandboxConfig
    from .entities import Record, World

log = logging.getLogger("sandbox.webhooks")
# hooks_settings flags, one per entity (YCLIENTS API blueprint, group "webhooks"); the sandbox's records
# are the only entity that changes at run time, so `record` is the one that sends anything.
FLAGS = (
    "salon",
    "service_category",
    "service",
    "good",
    "master",
    "client",
    "record",
    "goods_operations_sale",
    "goods_operations_receipt",
    "goods_operations_consumable",
    "goods_operations_stolen",
    "goods_operations_move",
    "finances_operation",
)
HEADERS = {"Content-Type": "application/json", "User-Agent": "sandbox-altegio-webhooks"}
_IDLE_WAIT = 0.5  # the worker re-reads the knobs (pause, order) at least this often


def default_settings(urls: list[str]) -> dict:
    """A location's settings from the `webhook_urls` knob: records on when there are URLs, else off."""
    on = 1 if urls else 0
    return {"urls": list(urls), "active": on, **dict.fromkeys(FLAGS, 0), "record": on}


def interval(r: Record) -> dict:
    """What availability depends on: the record's team member, time, length and state."""
    return {
        "staff_id": r.staff_id,
        "datetime": payloads.iso(r.start),
        "length": r.length,
        "deleted": r.deleted,
        "activity_id": r.activity_id,
        "service_ids": list(r.service_ids),
    }


def _masked(event: dict) -> dict:
    out = copy.deepcopy(event)
    client = out["data"].get("client") or {}
    for key in ("name", "phone", "email"):
        if client.get(key):
            client[key] = mask(client[key])
    return out


def _failure(exc: Exception) -> str:
    # NewConnectionError is a ConnectTimeoutError to urllib3 (for old callers): ask it first.
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "connection refused"
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return "timeout"
    return type(exc).__name__


@dataclass
class Delivery:
    id: int
    change: int  # the change's number
    record_id: int
    status: str
    url: str
    body: bytes
    masked: dict  # the event as the log shows it
    due: float  # on the clock's monotonic()
    duplicate: bool = False
    attempt: int = 0


class Webhooks:
    def __init__(self, config: SandboxConfig, clock: SandboxClock):
        self._config, self._clock = config, clock
        self._cond = threading.Condition()
        self._http = urllib3.PoolManager(num_pools=4, retries=False)
        self._workers: list[tuple[threading.Thread, threading.Event]] = []
        self._generation = 0
        clock.subscribe(self.poke)
        self.reset()

    def reset(self) -> None:
        """Nothing queued, nothing logged, settings from the knob; a delivery in flight is forgotten."""
        with self._cond:
            self._generation += 1
            self._queue: list[Delivery] = []
            self._log: deque[dict] = deque(maxlen=self._config.ledger_size)
            self._changes: deque[dict] = deque(maxlen=self._config.ledger_size)
            self._overrides: dict[int, dict] = {}  # set through POST hooks_settings
            self._version: int | None = None
            self._seq = Counter()  # change, delivery, log numbers
            self._outcomes: Counter = Counter()
            self._in_flight: set[int] = set()
            self._rng = random.Random(self._config.seed)
            self._cond.notify_all()

    def poke(self) -> None:
        """Knobs or the clock moved: the workers look again now rather than at their next wake-up."""
        with self._cond:
            if self._workers or self._queue:
                self._start_worker()  # the workers knob may have changed
            self._cond.notify_all()

    # -- settings (GET|POST /hooks_settings/{company_id}) --------------------------------------------
    def _settings_of(self, company_id: int) -> dict:
        if self._version != self._config._hooks_version:
            self._version = self._config._hooks_version
            self._overrides.clear()  # the knob was set again: it speaks for every location
        return self._overrides.get(company_id) or default_settings(self._config.webhook_urls)

    def settings(self, company_id: int) -> dict:
        with self._cond:
            return copy.deepcopy(self._settings_of(company_id))

    def set_settings(self, company_id: int, changes: dict) -> dict:
        """Apply already validated settings (routes/hooks.py) over the location's current ones."""
        with self._cond:
            merged = {**self._settings_of(company_id), **copy.deepcopy(changes)}
            self._overrides[company_id] = merged
            return copy.deepcopy(merged)

    # -- changes -------------------------------------------------------------------------------------
    def emit(self, status: str, record: Record, before: dict | None, world: World, source: str) -> None:
        """Note one record change and queue its deliveries. Called under the state's lock, right after the
        change, so numbers follow the order of changes and `data` is the record as that change left it."""
        c = self._config
        if status == "delete" and c.webhook_cancel_as == "update":
            status = "update"
        event = {
            "company_id": record.location_id,
            "resource": "record",
            "resource_id": record.id,
            "status": status,
            "data": payloads.hook_record(record, world),
        }
        with self._cond:
            self._seq["change"] += 1
            number = self._seq["change"]
            self._changes.append(
                {
                    "seq": number,
                    "ts": time.time(),  # the host's clock, like the ledger's and the bench's stamps
                    "time": self._clock.now().isoformat(timespec="milliseconds"),
                    "company_id": record.location_id,
                    "record_id": record.id,
                    "status": status,
                    "source": source,
                    "before": before,
                    "after": interval(record),
                }
            )
            settings = self._settings_of(record.location_id)
            if not (settings["active"] and settings["record"] and settings["urls"]):
                return
            every = c.webhook_duplicate_every
            copies = 2 if every and number % every == 0 else 1
            body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
            masked, due = _masked(event), self._clock.monotonic() + c.webhook_delay_s
            for url in settings["urls"]:
                for n in range(copies):
                    self._seq["delivery"] += 1
                    d = Delivery(self._seq["delivery"], number, record.id, status, url, body, masked, due)
                    d.duplicate = n > 0
                    self._queue.append(d)
            self._start_worker()
            self._cond.notify_all()

    def changes(self, since: int = 0) -> list[dict]:
        with self._cond:
            return [copy.deepcopy(ch) for ch in self._changes if ch["seq"] > since]

    # -- what tests and the admin endpoints read -----------------------------------------------------
    def deliveries(self, since: int = 0) -> list[dict]:
        with self._cond:
            return [copy.deepcopy(e) for e in self._log if e["seq"] > since]

    def status(self) -> dict:
        c = self._config
        with self._cond:
            now = self._clock.monotonic()
            due = min((d.due for d in self._queue), default=None)
            return {
                "pending": len(self._queue),
                "in_flight": bool(self._in_flight),
                "in_flight_count": len(self._in_flight),
                "next_due_in_s": None if due is None else round(max(0.0, due - now), 3),
                "changes": self._seq["change"],
                "attempts": self._seq["log"],
                **{k: self._outcomes[k] for k in ("delivered", "retry", "gave_up")},
                "knobs": {
                    "delay_s": c.webhook_delay_s,
                    "max_attempts": c.webhook_max_attempts,
                    "backoff_s": c.webhook_backoff_s,
                    "timeout_s": c.webhook_timeout_s,
                    "duplicate_every": c.webhook_duplicate_every,
                    "order": c.webhook_order,
                    "paused": c.webhook_paused,
                    "cancel_as": c.webhook_cancel_as,
                    "workers": c.webhook_workers,
                },
            }

    # -- the worker ----------------------------------------------------------------------------------
    def _start_worker(self) -> None:
        """As many workers as the knob says (under the lock): missing ones started, extra ones told to stop
        after their delivery in flight."""
        self._workers = [w for w in self._workers if w[0].is_alive() and not w[1].is_set()]
        want = self._config.webhook_workers
        for _, stop in self._workers[want:]:
            stop.set()
        del self._workers[want:]
        while len(self._workers) < want:
            stop = threading.Event()
            name = f"sandbox-webhooks-{len(self._workers) + 1}"
            thread = threading.Thread(target=self._run, args=(stop,), name=name, daemon=True)
            self._workers.append((thread, stop))
            thread.start()

    def stop(self) -> None:
        with self._cond:
            workers, self._workers = self._workers, []
            for _, stop in workers:
                stop.set()
            self._cond.notify_all()
        for thread, _ in workers:
            thread.join(timeout=self._config.webhook_timeout_s + 1)

    def _next(self, stop: threading.Event) -> tuple[Delivery, int] | None:
        """The next delivery due (under the lock), waiting for one; None when told to stop."""
        while not stop.is_set():
            if self._config.webhook_paused or not self._queue:
                self._cond.wait(_IDLE_WAIT)
                continue
            now = self._clock.monotonic()
            ready = [d for d in self._queue if d.due <= now]
            if not ready:
                self._cond.wait(min(_IDLE_WAIT, min(d.due for d in self._queue) - now))
                continue
            order = self._config.webhook_order
            if order == "shuffle":
                pick = self._rng.choice(ready)
            else:
                pick = (min if order == "fifo" else max)(ready, key=lambda d: (d.change, d.id))
            self._queue.remove(pick)
            pick.attempt += 1
            self._in_flight.add(pick.id)
            return pick, self._generation
        return None

    def _run(self, stop: threading.Event) -> None:
        while True:
            with self._cond:
                picked = self._next(stop)
            if picked is None:
                return
            try:
                self._send(*picked)
            except Exception:  # a bug here must not end deliveries for good
                log.exception("webhook delivery failed")

    def _send(self, d: Delivery, generation: int) -> None:
        c = self._config
        started = time.perf_counter()
        answer, error = None, None
        try:
            r = self._http.request(
                "POST",
                d.url,
                body=d.body,
                headers=HEADERS,
                timeout=urllib3.Timeout(total=c.webhook_timeout_s),
                redirect=False,
            )
            answer = r.status
        except Exception as exc:  # refused, reset, timed out: the receiver did not answer
            error = _failure(exc)
        ms = (time.perf_counter() - started) * 1000
        with self._cond:
            self._in_flight.discard(d.id)
            if generation != self._generation:
                return  # a reset came while this was in flight: it belongs to nobody now
            retry_in = None
            if answer is not None and 200 <= answer < 300:
                outcome = "delivered"
            elif d.attempt < c.webhook_max_attempts:
                outcome, retry_in = "retry", c.webhook_backoff_s * 2 ** (d.attempt - 1)
                d.due = self._clock.monotonic() + retry_in
                self._queue.append(d)
            else:
                outcome = "gave_up"
            self._outcomes[outcome] += 1
            self._seq["log"] += 1
            entry = {
                "seq": self._seq["log"],
                "delivery": d.id,
                "change": d.change,
                "record_id": d.record_id,
                "status": d.status,
                "url": mask_url(d.url),
                "attempt": d.attempt,
                "duplicate": d.duplicate,
                "outcome": outcome,
                "answer": answer,
                "error": error,
                "ms": round(ms, 1),
                "retry_in_s": retry_in,
                "time": self._clock.now().isoformat(timespec="milliseconds"),
                "ts": time.time(),
                "event": d.masked,
            }
            self._log.append(entry)
            self._cond.notify_all()
        level = logging.WARNING if outcome == "gave_up" else logging.INFO
        if c.log_requests or outcome == "gave_up":
            log.log(
                level,
                "webhook %s record %s -> %s: %s (attempt %d of %d%s)",
                d.status,
                d.record_id,
                entry["url"],
                answer if answer is not None else error,
                d.attempt,
                c.webhook_max_attempts,
                f"; again in {retry_in:g} s" if retry_in is not None else f"; {outcome}",
            )


def validate_settings(body: Any) -> dict:
    """POST /hooks_settings body: `urls` (absolute http(s)) and `active` required, every flag 0 or 1.
    Raises ValueError naming what is wrong."""
    from .config import webhook_urls

    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    missing = [k for k in ("urls", "active") if k not in body]
    if missing:
        raise ValueError(f"{' and '.join(missing)} required")
    unknown = sorted(set(body) - {"urls", "active", *FLAGS})
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(unknown)}")
    if not isinstance(body["urls"], list):
        raise ValueError("urls must be an array of URLs")
    out: dict[str, Any] = {"urls": webhook_urls(body["urls"])}
    for key in ("active", *FLAGS):
        if key in body:
            value = body[key]
            if isinstance(value, bool) or value not in (0, 1, "0", "1"):
                raise ValueError(f"{key} must be 0 or 1")
            out[key] = int(value)
    return out
