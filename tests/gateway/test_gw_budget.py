"""The shared upstream budget: never more than the limits across containers, writes first, 429 pauses."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from booking_gateway import budget, container, dynamo
from gw_kit import LAYER


def max_in_window(times: list[float], width: float) -> int:
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


# -- in one container (on the fake clock: waits take no real time, and the order of events is fixed) ------
class _NoJitter(random.Random):
    """The budget's random with its jitter at the low end: everyone wakes when the slots say."""

    def uniform(self, a: float, b: float) -> float:
        return a


def test_a_waiting_write_gets_the_next_slot_before_any_read(gateway, clock, monkeypatch):
    clock.pin("2026-12-04T14:30:00.123Z")  # the same stamps on every run
    monkeypatch.setattr(budget, "random", _NoJitter(4))
    # UPSTREAM_PER_SECOND=4: reads may use every slot nobody else wants
    stamps = []  # epoch seconds; the slots free one after another
    for _ in range(4):
        stamps.append(budget.acquire("read", wait_max=0))
        clock.advance(0.1)
    with pytest.raises(budget.BudgetExhausted) as refused:
        budget.acquire("read", wait_max=0.2)
    assert refused.value.retry_after in (1, 2)
    # Both wait for a slot, the read from before the write.
    read, write = clock.run_together(
        lambda: budget.acquire("read", wait_max=3), lambda: budget.acquire("write", wait_max=3)
    )
    # The first slot frees SLOT_SPACING after its stamp: the booking takes it; the read the next one to free
    # (nothing held back from reads when no write waits for it).
    stored = 1e-3  # slots keep their stamps to 0.1 ms (dynamo.n)
    assert stamps[0] + budget.SLOT_SPACING - stored <= write < stamps[0] + budget.SLOT_SPACING + 0.1
    assert write < read
    assert stamps[1] + budget.SLOT_SPACING - stored <= read < stamps[1] + budget.SLOT_SPACING + 0.1


def test_a_slow_budget_table_does_not_make_sends_late(gateway, clock, monkeypatch):
    """A slot's stamp says when the call goes out, even when every slot write takes 200 ms: the stamp is
    put that far ahead (or moved there) and the caller is held until it, so the slot's next user keeps
    its distance from the actual send."""
    client = dynamo.stamp_client()
    real = client.update_item

    def slow(**kwargs):
        clock.sleep(0.2)  # the write's round trip
        return real(**kwargs)

    monkeypatch.setattr(client, "update_item", slow)
    for _ in range(4):
        turn = budget.take("write", wait_max=3)
        assert 0 <= clock.now() - turn.stamp <= budget.MAX_SEND_LAG
        table = boto3.client("dynamodb").scan(TableName="BudgetTable")["Items"]
        slots = [float(i["t"]["N"]) for i in table if i["pk"]["S"].startswith("sec#")]
        assert min(abs(t - turn.stamp) for t in slots) < 0.001, (turn.stamp, slots)  # what the slot says
        budget.sent(turn, clock.now())


def test_a_waiting_read_goes_out_when_a_slot_frees(gateway, clock):
    for _ in range(4):
        budget.acquire("read", wait_max=0)
    started = clock.monotonic()
    budget.acquire("read")
    assert budget.SLOT_SPACING - 0.1 < clock.monotonic() - started < budget.SLOT_SPACING + 0.2


@pytest.mark.gw_env(UPSTREAM_PER_MINUTE="10", UPSTREAM_PER_SECOND="5")
def test_the_minute_allowance_keeps_a_share_for_writes(gateway, clock, monkeypatch):
    monkeypatch.setattr(budget, "SLOT_SPACING", 0.001)  # the per-second rule is not the subject here
    for _ in range(9):
        budget.acquire("read", wait_max=0)
    with pytest.raises(budget.BudgetExhausted) as refused:
        budget.acquire("read", wait_max=5)  # a spent minute is not waited for
    assert 1 <= refused.value.retry_after <= 10
    budget.acquire("write", wait_max=0)
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("write", wait_max=0)


@pytest.mark.gw_env(UPSTREAM_PER_MINUTE="10", UPSTREAM_PER_SECOND="2")
def test_a_call_that_never_got_its_second_gives_its_minute_back(gateway, clock, monkeypatch):
    """Waiting for a per-second slot and giving up sends nothing: the minute's allowance stays unspent,
    so a crowd of waiters cannot starve the rest of the minute."""
    for _ in range(2):
        budget.acquire("write", wait_max=0)
    for _ in range(20):  # far more give-ups than the minute allows
        with pytest.raises(budget.BudgetExhausted):
            budget.acquire("write", wait_max=0)
    clock.advance(budget.SLOT_SPACING)
    for _ in range(2):
        budget.acquire("write", wait_max=0)  # still within the minute: only 4 calls went out


@pytest.mark.gw_env(UPSTREAM_PER_MINUTE="20", UPSTREAM_PER_SECOND="5")
def test_refreshes_leave_a_share_of_the_minute_to_misses(gateway, clock, monkeypatch):
    """A refresh has a stale copy to fall back on; a miss has nothing: refreshes stop first."""
    monkeypatch.setattr(budget, "SLOT_SPACING", 0.001)  # the per-second rule is not the subject here
    for _ in range(13):  # 20 - 2 (writes' tenth) - 5 (misses' quarter)
        budget.acquire("refresh", wait_max=0)
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("refresh", wait_max=0)
    assert budget.refresh_spent()  # this container stops trying refreshes for a moment
    for _ in range(5):
        budget.acquire("read", wait_max=0)
    with pytest.raises(budget.BudgetExhausted):
        budget.acquire("read", wait_max=0)
    budget.acquire("write", wait_max=0)
    clock.advance(budget.REFRESH_MEMO)
    assert not budget.refresh_spent()


def test_altegios_retry_after_pauses_everyone(gateway, clock):
    budget.pause(2)
    with pytest.raises(budget.BudgetExhausted) as refused:
        budget.acquire("write", wait_max=0.5)
    assert refused.value.retry_after == 2
    started = clock.monotonic()
    budget.acquire("read", wait_max=3)
    assert 1.5 < clock.monotonic() - started < 2.6


def test_without_dynamodb_a_local_limiter_slows_calls_but_never_fails_them(gateway, clock, monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    class Down:
        def __getattr__(self, name):
            def fail(*_a, **_k):
                raise EndpointConnectionError(endpoint_url="https://dynamodb")

            return fail

    monkeypatch.setattr(dynamo, "client", lambda: Down())
    monkeypatch.setattr(dynamo, "stamp_client", lambda: Down())
    container.reset("budget.local")  # a fresh fallback limiter
    stamps = []
    for _ in range(3):
        budget.acquire("read")
        stamps.append(clock.monotonic())
    assert all(b - a >= 1.0 for a, b in zip(stamps, stamps[1:], strict=False))
    budget.pause(0.5)  # shared through the local limiter too
    started = clock.monotonic()
    budget.acquire("write")
    assert clock.monotonic() - started >= 0.4


# -- across containers (processes, on real time: what Altegio would see) ----------------------------------
WORKER = """
import json, sys, time
from booking_gateway import budget
n, priority = int(sys.argv[1]), sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()  # every process imported and waiting: they contend from the first call
for _ in range(n):
    try:
        budget.acquire(priority, wait_max=4)
        print(json.dumps({"sent": time.time()}), flush=True)
    except budget.BudgetExhausted as exc:
        print(json.dumps({"refused": exc.retry_after}), flush=True)
"""


@pytest.fixture(scope="module")
def moto_server():
    """moto as its own process, like DynamoDB: not slowed by this process's threads (nor reset by a
    mock_aws here); each call of _containers makes its own table."""
    from devstack.aws import MotoServer

    server = MotoServer(mode="process").start()
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()


def _containers(moto_url: str, n_procs: int, calls: int, priority: str, **env: str) -> list[dict]:
    table = f"Budget{random.randrange(10**6)}"
    boto3.client("dynamodb", endpoint_url=moto_url).create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    proc_env = {
        **os.environ,
        "PYTHONPATH": str(LAYER),
        "AWS_ENDPOINT_URL": moto_url,
        "BUDGET_TABLE": table,
        "CACHE_TABLE": "CacheTable",  # required of every container (settings.py); the budget reads neither
        "PARTNER_SECRET_ID": "unused",
        "POWERTOOLS_METRICS_NAMESPACE": "BookingGateway",
        "POWERTOOLS_LOG_LEVEL": "WARNING",  # "using the local limiter" tells why a limit did not hold
        **env,
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(calls), priority],
            env=proc_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n_procs)
    ]
    assert [proc.stdout.readline().strip() for proc in procs] == ["ready"] * n_procs
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    lines = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        lines += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        lines += [{"warning": line[:300]} for line in err.splitlines() if "warning" in line.lower()]
    return lines


def test_per_second_limit_holds_across_processes(moto_server):
    got = _containers(moto_server, 3, 4, "write", UPSTREAM_PER_SECOND="4", UPSTREAM_PER_MINUTE="180")
    sent = [x["sent"] for x in got if "sent" in x]
    assert len(sent) == 12, got  # nobody refused: they waited their turn
    # Sent = when acquire() returned, a DynamoDB write after the stamp. Never above Altegio's 5 in a second;
    # the configured 4 holds to within that write's latency (tens of ms on a loaded test machine).
    assert max_in_window(sent, 1.0) <= 5 and max_in_window(sent, 0.9) <= 4, [
        round(x % 100, 3) for x in sorted(sent)
    ] + [x for x in got if "warning" in x]


def test_per_minute_limit_holds_across_processes(moto_server):
    got = _containers(moto_server, 3, 6, "write", UPSTREAM_PER_SECOND="5", UPSTREAM_PER_MINUTE="12")
    sent = [x["sent"] for x in got if "sent" in x]
    assert len(sent) == 12, got  # exactly the allowance, not one more
    assert max_in_window(sent, 1.0) <= 5, got
    assert all(x["refused"] >= 1 for x in got if "refused" in x)


# -- the read path under load ----------------------------------------------------------------------------
SEANCES = ((101, 10011), (101, 10012), (202, 20011), (202, 20021))
KEYS = [f"/book_staff_seances/{loc}/0?service_ids[]={svc}" for loc, svc in SEANCES]
KEYS += [f"/book_services/101?staff_id={s}" for s in (0, 1011, 1012, 1013, 1014)]
KEYS += [f"/book_services/202?staff_id={s}" for s in (0, 2021, 2022)]
KEYS += [f"/book_staff/101?service_ids[]={svc}" for svc in (10011, 10012, 10013, 10021, 10022)]
KEYS += [f"/book_staff/202?service_ids[]={svc}" for svc in (20011, 20012, 20021, 20022)]
KEYS += [f"/book_dates/{loc}?staff_id={s}" for loc, s in ((101, 0), (202, 0), (101, 1011), (202, 2021))]
KEYS += ["/bookform/1", "/bookform/2", "/i18n/en-US", "/privacy_policy/101", "/privacy_policy/202"]


@pytest.fixture
def one_invocation_per_process():
    """What Lambda guarantees and threads here do not (Powertools keeps the event being handled and the
    metrics being collected on its classes): the local stack's own isolation, for handlers called here."""
    from devstack.runtime import isolate_powertools_state

    isolate_powertools_state()


def test_300_requests_over_30_keys_in_15_seconds_stay_within_altegios_limits(
    gateway, one_invocation_per_process
):
    """Two new keys a second: two thirds of what reads can get (4 slots, each free for a read 1.35 s after
    its last use), so a miss never waits out the budget even after the machine stalls for a few seconds;
    at three a second (all of it) one stall left misses queued past BUDGET_WAIT_SECONDS: 503s."""
    assert len(set(KEYS)) == 30
    gateway.sandbox.configure(rate_limit=True, per_second=5, per_minute=200, latency_ms=60, jitter_ms=40)
    rng = random.Random(4)
    order = [KEYS[i // 10] if i % 10 == 0 else KEYS[rng.randint(0, i // 10)] for i in range(300)]
    started = time.monotonic()

    def one(i: int):
        # 20 requests a second for 15 s: a load on real time, against the sandbox's real per-IP limits.
        time.sleep(max(0.0, started + i / 20 - time.monotonic()))  # pacing, not waiting for time to pass
        return gateway.get(order[i])

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(one, range(300)))
    upstream = gateway.upstream()
    assert [(order[i], a.status, a.body[:100]) for i, a in enumerate(answers) if a.status != 200] == []
    assert not [r for r in upstream if r["status"] == 429], [
        (r["seq"], round(r["ts"] % 100, 3), r["status"], r["path"][:40]) for r in upstream[:12]
    ]
    times = [r["arrived"] for r in upstream]
    firsts = {min(r["seq"] for r in upstream if r["path"] == p) for p in {r["path"] for r in upstream}}
    assert max_in_window(times, 1.0) <= 5 and len(times) <= 200
    again = [(r["path"][:60], r["arrived"] - times[0]) for r in upstream if r["seq"] not in firsts]
    assert len(times) == 30, again  # one miss per key, every other request a hit
