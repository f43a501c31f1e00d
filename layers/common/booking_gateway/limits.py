"""Abuse limits of the operations that cost money or guard access: SMS codes per phone and per visitor, and
a lock on a phone (or login, or visitor) after repeated wrong codes or passwords.

    with limits.sms(phone) as guard:            # 429 + Retry-After (Limited) before anything goes upstream
        result = guard.settle(send(...))        # an SMS that was never sent does not count
    with limits.code_check(phone) as guard:     # user/auth, book_record's code, ...
        result = guard.settle(send(...))        # wrong (432): counted, may lock; right: count reset

- Counters live in the budget table (`lim#...` keys; TTL on expires_at), keyed by a hash of the phone,
  login or address, never the value itself. Each holds the times of its recent events (ts) and, for the
  wrong-code counters, when a lock ends. A check reads its counters, refuses when any rule is full, else
  writes them all back in one transaction, conditional on each item's version: concurrent calls cannot
  both take the last place (a lost race reads again).
- Attempts are counted when they go out, so a burst of concurrent wrong codes cannot all reach Altegio
  before the first answer; an attempt that turns out not to count (a right code, nothing sent) is given
  back.
- Visitors are caller.current().visitor: partners' requests have none, so only the per-phone rules hold
  them (their usage plans do the rest).
- DynamoDB failing: the limits step aside (logged and counted) rather than fail a booking.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from . import caller, clock, dynamo
from .errors import Rejected
from .observability import count, logger
from .settings import get_settings

HOUR = 3600.0
RACE_RETRIES = 5  # a lost race (another request updated the counter) reads and tries again
WRONG_CODE = 432  # Altegio's "SMS confirmation code wrong" (altegio-api.md §2.2)
WRONG_PASSWORD = (401, 403, 404)  # POST booking/auth's answers to a login and password that do not match


def documented(responses: dict[int, dict]) -> dict[int, dict]:
    """A limited route's `responses=`: its own, plus the 429 a limit answers. Its model only in the OpenAPI
    document (GATEWAY_OPENAPI_MODELS=1, as write_responses.py): upstream_models costs ~25 ms of import."""
    refused: dict = {
        "description": "Too many SMS codes, or too many wrong codes or passwords: locked (Retry-After)"
    }
    if os.environ.get("GATEWAY_OPENAPI_MODELS") == "1":
        from .upstream_models import ErrorEnvelope

        refused["content"] = {"application/json": {"model": ErrorEnvelope}}
    return {**responses, 429: refused}


class Limited(Rejected):
    """Refused before any upstream call: 429 with Retry-After, answered like every Rejected (app_factory)."""

    def __init__(self, retry_after: float, message: str) -> None:
        self.retry_after = max(1, math.ceil(retry_after - 0.001))
        super().__init__(429, message, headers={"Retry-After": str(self.retry_after)})


class Result(Protocol):  # forward.WriteResult
    status: int
    body: str
    outcome: str


@dataclass(frozen=True)
class Counter:
    """One rate-limited subject: at most `most` events per `per` seconds for each rule. With `lock`, a
    full count locks the subject for that long instead (the wrong-code counters)."""

    pk: str
    rules: tuple[tuple[int, float], ...]
    says: str  # the refusal, with {when}
    lock: float = 0.0

    @property
    def span(self) -> float:
        return max(per for _, per in self.rules)

    def wait(self, item: dict, now: float) -> float:
        """Seconds until one more event is allowed (0: now)."""
        wait = max(0.0, dynamo.num(item, "locked") - now)
        times = sorted(_times(item))
        for most, per in self.rules:
            recent = [t for t in times if t > now - per]
            if len(recent) >= most:
                wait = max(wait, recent[-most] + per - now)
        return wait if wait > 0.001 else 0.0  # stamps are stored to 0.1 ms


# -- the counters ---------------------------------------------------------------------------------------
def _key(kind: str, subject: str) -> str:
    return f"lim#{kind}#{hashlib.sha256(f'{kind}:{subject}'.encode()).hexdigest()[:32]}"


def phone_key(phone: str) -> str:
    """The digits a phone is counted by ("+371 2000-0001" and "37120000001" are one phone)."""
    return "".join(ch for ch in str(phone) if ch.isdigit())


def login_key(login: str) -> str:
    """A booking/auth login: a phone's digits, or an e-mail in lower case."""
    text = str(login).strip()
    return text.lower() if "@" in text else phone_key(text) or text.lower()


def _sms_counters(phone: str) -> list[Counter]:
    s = get_settings()
    rules, says = ((s.code_phone_per_hour, HOUR),), f"{s.code_phone_per_hour} an hour"
    if s.code_phone_interval > 0:
        rules = ((1, s.code_phone_interval), *rules)
        says = f"one per {_span(s.code_phone_interval)} and {says}"
    counters = [
        Counter(
            _key("sms-phone", phone_key(phone)),
            rules,
            f"Too many SMS codes for this phone (at most {says}); try again {{when}}.",
        )
    ]
    visitor = caller.current().visitor
    if visitor:
        counters.append(
            Counter(
                _key("sms-visitor", visitor),
                ((s.code_visitor_per_hour, HOUR),),
                f"Too many SMS codes requested from your address ({s.code_visitor_per_hour} an hour); "
                "try again {when}.",
            )
        )
    return counters


def _wrong_counters(kind: str, subject: str, what: str) -> list[Counter]:
    s = get_settings()
    counters = [
        Counter(
            _key(f"wrong-{kind}", subject),
            ((s.wrong_code_limit, s.wrong_code_window),),
            f"Too many wrong {what} for this {kind}, so it is locked; try again {{when}}.",
            s.lockout_seconds,
        )
    ]
    visitor = caller.current().visitor
    if visitor:
        counters.append(
            Counter(
                _key("wrong-visitor", visitor),
                ((s.wrong_code_visitor_limit, s.wrong_code_window),),
                f"Too many wrong {what} from your address, so it is locked; try again {{when}}.",
                s.lockout_seconds,
            )
        )
    return counters


# -- the guards the doors use ---------------------------------------------------------------------------
class Guard(ABC):
    """A place taken in each counter on entry (or Limited raised); settle() decides what it was worth.
    Leaving without settling (an exception, or an idempotent replay that sent nothing) gives it back."""

    def __init__(self, counters: list[Counter]) -> None:
        self.counters = counters
        self.stamp: float | None = None
        self.settled = False

    def __enter__(self) -> Guard:
        if self.counters:
            self.stamp = take(self.counters)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.settled:
            self._give_back(self.counters)

    def settle(self, result: Result) -> Result:
        self.settled = True
        self._settle(result)
        return result

    @abstractmethod
    def _settle(self, result: Result) -> None:
        """What the upstream answer means for the counters (each guard its own rule)."""

    def _give_back(self, counters: Iterable[Counter]) -> None:
        if self.stamp is not None:
            for counter in counters:
                _update(counter, lambda times, locked, stamp=self.stamp: (_without(times, stamp), locked))


class _Sms(Guard):
    def _settle(self, result: Result) -> None:
        # Refused before Altegio, or by Altegio (4xx): no SMS went out. A timeout or 5xx may have sent one.
        if result.outcome == "not_sent" or 400 <= result.status < 500:
            self._give_back(self.counters)


class _Secret(Guard):
    """An SMS code or a password checked by Altegio."""

    def __init__(self, counters: list[Counter], wrong: Any) -> None:
        super().__init__(counters)
        self.wrong = wrong

    def _settle(self, result: Result) -> None:
        if self.stamp is None:
            return
        if 200 <= result.status < 300:
            subject, *visitor = self.counters  # right: the subject starts afresh; the visitor's tries stand
            _update(subject, lambda times, locked: None)
            self._give_back(visitor)
        elif self.wrong(result):
            count("WrongCode")
            for counter in self.counters:
                _update(counter, lambda times, locked, c=counter: _locked_if_full(c, times, locked))
        else:
            self._give_back(self.counters)


class _Nothing(Guard):
    def __init__(self) -> None:
        super().__init__([])

    def _settle(self, result: Result) -> None:
        return None


def sms(phone: str) -> Guard:
    """An SMS code to `phone` (book_code, booking/user/phone_confirmation)."""
    return _Sms(_sms_counters(phone))


def code_check(phone: str | None, code_sent: bool = True) -> Guard:
    """An SMS code for `phone` that Altegio checks (user/auth, book_record, activity, booking/user)."""
    if not phone or not code_sent:
        return _Nothing()
    return _Secret(_wrong_counters("phone", phone_key(phone), "codes"), _wrong_code)


def password_check(login: str) -> Guard:
    """A login and password that Altegio checks (booking/auth)."""
    return _Secret(
        _wrong_counters("login", login_key(login), "passwords"),
        lambda result: result.status in WRONG_PASSWORD,
    )


def _wrong_code(result: Result) -> bool:
    if result.status != 422:
        return False
    try:
        body = json.loads(result.body)
    except ValueError:
        return False
    meta = body.get("meta") if isinstance(body, dict) else None
    errors = meta.get("errors") if isinstance(meta, dict) else None
    items = errors if isinstance(errors, list) else list(errors.values()) if isinstance(errors, dict) else []
    return any(isinstance(e, dict) and str(e.get("code")) == str(WRONG_CODE) for e in items)


# -- storage --------------------------------------------------------------------------------------------
def take(counters: list[Counter]) -> float | None:
    """One place in every counter, or Limited (the longest wait of those that are full). Returns the stamp
    to give back, or None when DynamoDB failed (no limit applied)."""
    table = get_settings().budget_table
    for _ in range(RACE_RETRIES):
        try:
            got = dynamo.client().batch_get_item(
                RequestItems={
                    table: {"Keys": [{"pk": dynamo.s(c.pk)} for c in counters], "ConsistentRead": True}
                }
            )
            items = {i["pk"]["S"]: i for i in got["Responses"].get(table, [])}
            now = clock.now()
            waits = [(c.wait(items.get(c.pk, {}), now), c) for c in counters]
            wait, full = max(waits, key=lambda w: w[0])
            if wait > 0:
                count("Limited")
                logger.info("limit reached", extra={"counter": full.pk.split("#")[1], "retry_after": wait})
                raise Limited(wait, full.says.format(when=_when(wait)))
            puts = [
                _put(table, c, items.get(c.pk), [*_recent(c, _times(items.get(c.pk, {})), now), now])
                for c in counters
            ]
            dynamo.client().transact_write_items(TransactItems=[{"Put": p} for p in puts])
            return now
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                continue  # another request changed a counter between our read and write
            return _unavailable(exc)
        except BotoCoreError as exc:
            return _unavailable(exc)
    raise Limited(1, "Too many requests at once for this phone or address; try again in a second.")


def _update(counter: Counter, change) -> None:
    """Read one counter, apply `change(times, locked)` (new (times, locked), or None to delete it), write it
    back unless another request changed it meanwhile (then again). Never raises."""
    client, table = dynamo.client(), get_settings().budget_table
    key = {"pk": dynamo.s(counter.pk)}
    for _ in range(RACE_RETRIES):
        try:
            item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
            if item is None:
                return
            new = change(_times(item), dynamo.num(item, "locked"))
            condition = {
                "ConditionExpression": "ver = :ver",
                "ExpressionAttributeValues": {":ver": item["ver"]},
            }
            if new is None:
                client.delete_item(TableName=table, Key=key, **condition)
            else:
                version = int(dynamo.num(item, "ver")) + 1
                client.put_item(TableName=table, Item=_item(counter, *new, version), **condition)
            return
        except ClientError as exc:
            if dynamo.conditional_failed(exc):
                continue
            _unavailable(exc)
            return
        except BotoCoreError as exc:
            _unavailable(exc)
            return


def _put(table: str, counter: Counter, old: dict | None, times: list[float]) -> dict:
    version = int(dynamo.num(old or {}, "ver"))
    put: dict[str, Any] = {
        "TableName": table,
        "Item": _item(counter, times, dynamo.num(old or {}, "locked"), version + 1),
    }
    if old is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "ver = :ver"
        put["ExpressionAttributeValues"] = {":ver": dynamo.n(version)}
    return put


def _item(counter: Counter, times: list[float], locked: float, version: int) -> dict:
    # TTL: gone once nothing in it matters (the last event out of every window, the lock over).
    expires = max([locked, *(t + counter.span for t in times)], default=0.0)
    return {
        "pk": dynamo.s(counter.pk),
        "ts": {"L": [dynamo.n(t) for t in times]},
        "locked": dynamo.n(locked),
        "ver": dynamo.n(version),
        "expires_at": dynamo.n(int(max(expires, clock.now())) + 60),
    }


def _times(item: dict) -> list[float]:
    return [float(v["N"]) for v in (item.get("ts") or {}).get("L", []) if "N" in v]


def _recent(counter: Counter, times: list[float], now: float) -> list[float]:
    return [t for t in times if t > now - counter.span]


def _without(times: list[float], stamp: float) -> list[float]:
    """The events with one at `stamp` given back."""
    for i, t in enumerate(times):
        if abs(t - stamp) < 1e-3:
            return times[:i] + times[i + 1 :]
    return times


def _locked_if_full(counter: Counter, times: list[float], locked: float) -> tuple[list[float], float]:
    """After a wrong answer: a full count becomes a lock, and the count starts again after it."""
    now = clock.now()
    recent = _recent(counter, times, now)
    if len(recent) >= counter.rules[0][0]:
        count("Locked")
        logger.info("locked after wrong answers", extra={"counter": counter.pk.split("#")[1]})
        return [], now + counter.lock
    return recent, locked


def _unavailable(exc: Exception) -> None:
    logger.warning("limits table unavailable; not limiting", extra={"error": type(exc).__name__})
    count("LimitsUnavailable")
    return None


def _span(seconds: float) -> str:
    return f"{int(seconds)} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


def _when(seconds: float) -> str:
    """'in 45 seconds', 'in 15 minutes', 'in 2 hours': when a refused request may be tried again."""
    seconds = max(1, math.ceil(seconds - 0.001))
    if seconds < 120:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 2 * HOUR:
        return f"in {math.ceil(seconds / 60)} minutes"
    return f"in {math.ceil(seconds / HOUR)} hours"
