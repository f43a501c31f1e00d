"""The Lambda side of the local stack: handlers loaded in isolation, warm instances, a Lambda context.

Lambda runs one invocation at a time per execution environment. Here an environment is one loaded copy
of the function's module: each function keeps a small pool of them and loads another (a cold start)
when all are busy, up to a cap. Modules are loaded by file path under unique names, since every
function's module is called `app`.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from . import iam
from .cfn import ACCOUNT
from .template import Function, Template

log = logging.getLogger("devstack")
_import_lock = threading.RLock()  # sys.path / sys.modules are process-wide
_serial = itertools.count(1)


class FunctionError(Exception):
    """What Lambda reports when an invocation fails (errorType, errorMessage, stackTrace)."""

    def __init__(self, error_type: str, message: str, trace: str = ""):
        super().__init__(f"{error_type}: {message}")
        self.error_type, self.message, self.trace = error_type, message, trace

    def payload(self) -> dict:
        return {
            "errorType": self.error_type,
            "errorMessage": self.message,
            "stackTrace": self.trace.splitlines(),
        }


def load_module(file: Path, name: str, code_dir: Path, layer_dirs: tuple[Path, ...] = ()) -> ModuleType:
    """Import `file` as module `name` with code_dir (then the layers) first on sys.path.

    The function's own helper modules (other .py files or packages in code_dir) stay private to this
    copy: two functions may both have a `models.py`.
    """
    with _import_lock:
        for layer in layer_dirs:
            if str(layer) not in sys.path:
                sys.path.insert(0, str(layer))
        private = _top_level_names(code_dir)
        saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] in private}
        sys.path.insert(0, str(code_dir))
        try:
            spec = importlib.util.spec_from_file_location(name, file)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {file}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # pydantic and dataclasses look their module up here
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            return module
        finally:
            sys.path.remove(str(code_dir))
            for k in [k for k in sys.modules if k.split(".")[0] in private]:
                del sys.modules[k]
            sys.modules.update(saved)


def layer_packages(layer_dirs) -> set[str]:
    """Top-level module names a set of layer folders provides (e.g. booking_gateway)."""
    return set().union(*(_top_level_names(Path(d)) for d in layer_dirs)) if layer_dirs else set()


def reset_layers(packages: set[str]) -> None:
    """Start every layer package over as a fresh container would, when the environment changes (a stack
    starts or stops; tests switch between the stack and mock_aws): the layer is shared by everything in
    this process, handlers and tests alike.

    A layer package that keeps per-container state (settings, clients, memos) keeps it in its
    `container` module, whose `reset()` forgets it; one not imported yet has nothing to forget."""
    for package in sorted(packages):
        container = sys.modules.get(f"{package}.container")
        if container is not None:
            container.reset()


def _top_level_names(code_dir: Path) -> set[str]:
    if not code_dir.is_dir():
        return set()
    return {p.stem for p in code_dir.glob("*.py")} | {p.parent.name for p in code_dir.glob("*/__init__.py")}


@dataclass
class LambdaContext:
    """The attributes and method of the Python runtime's context object that code reads."""

    function_name: str
    memory_limit_in_mb: int
    timeout: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    _started: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        region = os.environ.get("AWS_REGION", "eu-west-1")
        self.invoked_function_arn = self.invoked_function_arn or (
            f"arn:aws:lambda:{region}:{ACCOUNT}:function:{self.function_name}"
        )
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - (time.monotonic() - self._started)) * 1000))


class _Instance:
    def __init__(self, handler, module_name: str):
        self.handler = handler
        self.module_name = module_name
        self.invocations = 0


_isolation_lock = threading.Lock()
_ROUTER_STATE = ("current_event", "lambda_context")


def _isolate_router_state() -> None:
    """Give each thread its own Powertools `BaseRouter.current_event` and `lambda_context`.

    Powertools keeps the event being handled on the BaseRouter class: one per process, which is right in
    Lambda (one invocation per process at a time). Here copies of functions run at once in threads of one
    process, so a handler would read whichever event was resolved last: a POST then sees a concurrent
    GET's empty body ("A JSON request body is required.", 422) or another booking's. A thread that set
    nothing itself (one a handler started) reads the latest value, as it would in one process."""
    try:
        from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
    except ImportError:  # a template whose functions do not use Powertools
        return
    with _isolation_lock:
        if getattr(type(BaseRouter), "devstack_per_thread", False):
            return
        local = threading.local()
        latest = {k: v for k, v in vars(BaseRouter).items() if k in _ROUTER_STATE}

        def slot(name: str) -> property:
            def get(_owner):
                try:
                    return getattr(local, name)
                except AttributeError:
                    if name in latest:
                        return latest[name]
                    raise AttributeError(name) from None

            def put(_owner, value) -> None:
                setattr(local, name, value)
                latest[name] = value

            return property(get, put)

        for name in _ROUTER_STATE:  # reads and writes through an instance (app.current_event)
            setattr(BaseRouter, name, slot(name))
        per_thread = {name: slot(name) for name in _ROUTER_STATE}
        # ... and through the class (`BaseRouter.current_event = ...` in resolve()): a metaclass property.
        BaseRouter.__class__ = type(
            "PerThreadRouterMeta", (type(BaseRouter),), {**per_thread, "devstack_per_thread": True}
        )


_metrics_turn = threading.RLock()


def _serialise_metrics() -> None:
    """Powertools keeps the metrics being collected on its provider class, one set per process: adds and
    flushes of copies running at once take turns, else one flush empties another's set between its check
    and its write ("Must contain at least one metric")."""
    try:
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
            AmazonCloudWatchEMFProvider as Provider,
        )
    except ImportError:
        return
    with _isolation_lock:
        if getattr(Provider, "devstack_in_turn", False):
            return
        for name in ("add_metric", "flush_metrics"):
            real = getattr(Provider, name)

            def in_turn(self, *args, _real=real, **kwargs):
                with _metrics_turn:
                    return _real(self, *args, **kwargs)

            setattr(Provider, name, in_turn)
        Provider.devstack_in_turn = True


def isolate_powertools_state() -> None:
    """What Lambda gives each invocation and threads of one process share: Powertools' current event and
    context (per thread) and its metric set (in turn). Idempotent; every function pool calls it."""
    _isolate_router_state()
    _serialise_metrics()


class FunctionPool:
    """Warm copies of one function; at most one invocation per copy at a time."""

    def __init__(
        self,
        fn: Function,
        max_instances: int = 4,
        wait_s: float = 30.0,
        access: iam.AccessCheck | None = None,
    ):
        isolate_powertools_state()
        iam.install()
        self.fn = fn
        self.caller = iam.Caller(fn, access)  # whose role this function's AWS calls run under
        self.max_instances = max_instances
        self.wait_s = wait_s
        self._idle: list[_Instance] = []
        self._count = 0
        self._cold_starts = 0
        self._import_reported = False
        self._cond = threading.Condition()

    @property
    def instances(self) -> int:
        return self._count

    @property
    def cold_starts(self) -> int:
        return self._cold_starts

    def _acquire(self) -> _Instance:
        deadline = time.monotonic() + self.wait_s
        with self._cond:
            while not self._idle and self._count >= self.max_instances:
                if not self._cond.wait(deadline - time.monotonic()):
                    raise FunctionError(
                        "TooManyRequestsException", f"all {self._count} instances stayed busy"
                    )
            if self._idle:
                return self._idle.pop()  # the most recently used one: warm, like Lambda
            self._count += 1
        try:
            return self._load()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _release(self, inst: _Instance) -> None:
        with self._cond:
            self._idle.append(inst)
            self._cond.notify()

    def _load(self) -> _Instance:
        module_path, _, attr = self.fn.handler.rpartition(".")
        file = self.fn.code_dir / (module_path.replace(".", "/") + ".py")
        name = f"devstack_{self.fn.logical_id}_{next(_serial)}"
        started = time.perf_counter()
        if not file.is_file():
            log.error("%s: %s does not exist (yet?)", self.fn.logical_id, file)
            raise FunctionError("Runtime.ImportModuleError", f"Unable to import module: {file} not found")
        token = iam.current.set(self.caller)  # init code runs under the function's role too
        try:
            module = load_module(file, name, self.fn.code_dir, self.fn.layers)
            handler = getattr(module, attr)
        except Exception as exc:  # a missing folder or a broken import must not take the stack down
            trace = "" if self._import_reported else "\n" + traceback.format_exc()
            self._import_reported = True  # the whole traceback once, then one line per attempt
            log.error(
                "%s cannot be loaded from %s: %s: %s%s",
                self.fn.logical_id,
                file,
                type(exc).__name__,
                exc,
                trace,
            )
            raise FunctionError(
                "Runtime.ImportModuleError", f"{type(exc).__name__}: {exc}", traceback.format_exc()
            ) from exc
        finally:
            iam.current.reset(token)
        self._cold_starts += 1
        log.info(
            "cold start %s #%d (%.0f ms)",
            self.fn.logical_id,
            self._count,
            (time.perf_counter() - started) * 1000,
        )
        return _Instance(handler, name)

    def invoke(self, event: dict, request_id: str | None = None) -> Any:
        inst = self._acquire()
        ctx = LambdaContext(
            self.fn.logical_id,
            self.fn.memory_mb,
            self.fn.timeout,
            **({"aws_request_id": request_id} if request_id else {}),
        )
        started = time.monotonic()
        token = iam.current.set(self.caller)
        try:
            inst.invocations += 1
            result = inst.handler(event, ctx)
        except Exception as exc:
            log.error(
                "%s raised %s: %s\n%s", self.fn.logical_id, type(exc).__name__, exc, traceback.format_exc()
            )
            raise FunctionError(type(exc).__name__, str(exc), traceback.format_exc()) from exc
        finally:
            iam.current.reset(token)
            self._release(inst)
        elapsed = time.monotonic() - started
        if elapsed > self.fn.timeout:  # Lambda would have stopped it; the caller gets the same error
            log.error(
                "%s took %.2f s: Task timed out after %.2f seconds",
                self.fn.logical_id,
                elapsed,
                self.fn.timeout,
            )
            raise FunctionError("Sandbox.Timedout", f"Task timed out after {self.fn.timeout:.2f} seconds")
        try:  # Lambda returns JSON: a Decimal or a datetime in the result fails there, so here too
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            log.error("%s returned a result Lambda cannot serialise: %s", self.fn.logical_id, exc)
            raise FunctionError("Runtime.MarshalError", f"Unable to marshal response: {exc}") from exc


class Functions:
    """Every function of the template, each with its pool; `access` checks their AWS calls (iam.py)."""

    def __init__(self, template: Template, max_instances: int = 4, access: iam.AccessCheck | None = None):
        self.template = template
        self.access = access
        self.pools = {
            lid: FunctionPool(fn, max_instances, access=access) for lid, fn in template.functions.items()
        }

    def invoke(self, logical_id: str, event: dict, request_id: str | None = None) -> Any:
        if logical_id not in self.pools:
            raise KeyError(f"no function {logical_id!r} in {self.template.path.name}")
        return self.pools[logical_id].invoke(event, request_id)
