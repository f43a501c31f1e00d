"""The Lambda side: module isolation, the context, and resetting the layers' container state."""

from __future__ import annotations

import sys

from devstack_testkit import PROJECT

from devstack.runtime import LambdaContext, layer_packages, load_module, reset_layers

LAYER = PROJECT / "layers" / "echo"


def test_helper_modules_stay_private_to_each_loaded_copy(monkeypatch):
    sentinel = object()
    monkeypatch.setitem(sys.modules, "helper", sentinel)
    echo_dir, other_dir = PROJECT / "functions" / "echo", PROJECT / "functions" / "other"
    a = load_module(echo_dir / "app.py", "devstack_test_echo_a", echo_dir, (LAYER,))
    b = load_module(other_dir / "app.py", "devstack_test_other_b", other_dir, (LAYER,))
    again = load_module(echo_dir / "app.py", "devstack_test_echo_c", echo_dir, (LAYER,))
    assert (a.NAME, b.NAME) == ("echo helper", "other helper")
    assert a.COPY is not again.COPY  # every load is a new copy (a new execution environment)
    assert sys.modules["helper"] is sentinel and str(echo_dir) not in sys.path
    assert sys.modules["devstack_test_echo_a"] is a  # registered: pydantic and dataclasses look it up


def test_reset_starts_each_layers_container_over(monkeypatch):
    if str(LAYER) not in sys.path:
        monkeypatch.syspath_prepend(str(LAYER))
    from echo_layer import container, settings

    container.reset()
    monkeypatch.setenv("GREETING", "one")
    assert settings.get_settings() == "one"
    monkeypatch.setenv("GREETING", "two")
    assert settings.get_settings() == "one"  # read once per container
    assert layer_packages([LAYER]) == {"echo_layer"}
    reset_layers({"echo_layer", "not_loaded_layer"})  # a package never imported has nothing to reset
    assert settings.get_settings() == "two"


def test_context_has_what_the_python_runtime_gives():
    ctx = LambdaContext("BookTimesFunction", 512, timeout=15)
    assert ctx.invoked_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:BookTimesFunction"
    assert ctx.function_version == "$LATEST" and ctx.log_group_name == "/aws/lambda/BookTimesFunction"
    assert 14_000 < ctx.get_remaining_time_in_millis() <= 15_000 and ctx.aws_request_id


def test_copies_running_at_once_take_turns_with_the_metric_set(monkeypatch):
    """Powertools' metric set is one per process: while one copy flushes it, another copy's add waits
    (else the flush can find it emptied between its check and its write)."""
    import threading

    from aws_lambda_powertools import Metrics

    from devstack.runtime import isolate_powertools_state

    isolate_powertools_state()
    metrics = Metrics(namespace="DevstackTest", service="turns")
    flushing, release, added = threading.Event(), threading.Event(), threading.Event()
    serialize = metrics.provider.serialize_metric_set

    def held(*args, **kwargs):
        flushing.set()
        assert release.wait(10)
        return serialize(*args, **kwargs)

    monkeypatch.setattr(metrics.provider, "serialize_metric_set", held)
    metrics.add_metric(name="First", unit="Count", value=1)
    flush = threading.Thread(target=metrics.flush_metrics)
    flush.start()
    assert flushing.wait(10)
    other = threading.Thread(
        target=lambda: (metrics.add_metric(name="Second", unit="Count", value=1), added.set())
    )
    other.start()
    # A bounded look, not a wait for time to pass: a missing turn shows up at once.
    assert not added.wait(0.3), "an add went in while another copy was flushing"
    release.set()
    flush.join(10)
    other.join(10)
    assert added.is_set()
    metrics.clear_metrics()
