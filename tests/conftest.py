"""Fixtures for every suite: a safe AWS environment, `local_stack` (the offline stack, in-process) and
`load_function` (one function's app.py under its own module name).

- Nothing may reach real AWS: fake credentials and a region are set before anything imports boto3,
  and again around every test.
- `local_stack` (session): moto (own process), the sandbox Altegio with its rate limit OFF, the local
  API Gateway and the page; `.api_base`, `.api_key`, `.page_url`, `.sandbox`, `.sandbox_url`,
  `.moto_url`, `.dynamodb`, `.invoke(logical_id, event)`, `.reset()`. While it runs, os.environ holds
  the template's environment and AWS_ENDPOINT_URL (moto). Tests that do not request `local_stack`
  (directly or through their fixtures) run without AWS_ENDPOINT_URL, so `mock_aws` keeps working there.
  Tests that need the sandbox rate-limited configure it and restore it:
  `local_stack.sandbox.configure(rate_limit=True)` ... `local_stack.sandbox.reset(config=True)`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "common"
for _path in (LAYER, ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

SAFE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_CONFIG_FILE": os.devnull,  # no profile or credentials file of this machine is read
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
os.environ.update(SAFE_AWS_ENV)
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "ALTEGIO_PARTNER_TOKEN"):
    os.environ.pop(_name, None)

import moto  # noqa: E402,F401 - before any boto3 client exists (a client made earlier is never mocked)
from clock_kit import test_now  # noqa: E402,F401 - TEST_NOW's instant, else the real now (any suite)

from devstack.runtime import layer_packages, load_module, reset_layers  # noqa: E402
from devstack.stack import LocalStack  # noqa: E402

_STACK_FIXTURES = {"local_stack", "stack"}  # tests/browser's `stack` resolves to local_stack
_last = {"uses_stack": None}


@pytest.fixture(autouse=True)
def _safe_aws_env(request, monkeypatch):
    for key, value in SAFE_AWS_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    # The caller a test bound (caller.bind in this thread) must not become the next test's caller class.
    caller = sys.modules.get("booking_gateway.caller")
    if caller is not None:
        caller.unbind()
    uses_stack = bool(_STACK_FIXTURES & set(request.fixturenames))
    if not uses_stack:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # The layer is shared with the stack's handlers: its container state (settings, boto3 clients, values
    # registered for log masking) must not cross between stack tests (moto's endpoint) and the others
    # (mock_aws, log assertions that would see the stack's SMS codes and tokens masked).
    if LocalStack.running() and _last["uses_stack"] is not None and _last["uses_stack"] != uses_stack:
        reset_layers(layer_packages([LAYER]))
    _last["uses_stack"] = uses_stack


@pytest.fixture(autouse=True)
def _no_access_denied(request):
    """Every AWS call a function made during the test was allowed by its policies in template.yaml: the
    local stack refuses the others like IAM (devstack/iam.py), and the layer would hide that by degrading."""
    yield
    stack = LocalStack.running()
    denied = stack.access_denied if stack is not None else []
    found, denied[:] = list(denied), []
    # A test without the stack cannot have made them: a request the stack was still serving read the
    # test's environment (e.g. a unit test's table names). Such strays are dropped, not blamed.
    uses_stack = bool(_STACK_FIXTURES & set(request.fixturenames))
    if found and uses_stack and not request.node.get_closest_marker("access_denied"):
        pytest.fail("refused by the functions' policies in template.yaml: " + "; ".join(sorted(set(found))))


@pytest.fixture(scope="session")
def local_stack():
    from sandbox import SandboxConfig

    # TEST_NOW (ISO with offset): the sandbox pinned there, moving with real time (the date matrix).
    config = SandboxConfig(rate_limit=False, now=os.environ.get("TEST_NOW") or None)
    stack = LocalStack(sandbox_config=config).start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def clock():
    """The layer's clock seam pinned at the real now: it moves only with clock.advance()/pin() and the
    layer's own sleeps, which return at once (tests/clock_kit.py). The real clock is put back after."""
    from booking_gateway import clock as seam
    from clock_kit import FakeClock

    fake = FakeClock(datetime.now(UTC))
    previous = seam.use(fake)
    try:
        yield fake
    finally:
        seam.use(previous)
        fake.close()


def load_function(name: str):
    """Import functions/<name>/app.py afresh as module `functions_<name>_app` (folder, layer on the path)."""
    code_dir = ROOT / "functions" / name
    return load_module(code_dir / "app.py", f"functions_{name}_app", code_dir, (LAYER,))


@pytest.fixture(name="load_function")
def load_function_fixture():
    return load_function
