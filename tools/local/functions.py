"""Run the template's functions in this process, each invocation in a container of its own.

A container is one instance of the function's handler module (its resolver, batch processor and
other module state), used by one invocation at a time, as a Lambda execution environment is:
concurrent invocations of a function get distinct containers, and a container is reused when free.
While invocations of a function run, exactly the environment ``sam local`` would give it is applied
(Globals + its own variables, pointed at the local moto server); invocations of another function
wait until they are done, and the previous environment is put back when the last one leaves, so
the process around it (the test session, for one) never sees it. The shared layer's cached clients
(process-wide here) are dropped whenever the environment they were made with is not the one needed.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from tools.samtemplate import ACCOUNT, REGION, Resolver, function_property, handler_path, http_routes, resources

# Fake credentials: moto accepts anything, and nothing here may reach a real account.
LOCAL_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "1",
}


def load_handler_module(logical_id: str, container: int = 0) -> ModuleType:
    """Import functions/<dir>/app.py under a name unique to the function and container (every file is
    app.py); each call makes a new module instance."""
    path, _ = handler_path(logical_id)
    name = f"function_{logical_id}" + (f"_{container}" if container else "")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves a model's annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


def shared_environment(resolver: Resolver) -> dict[str, str]:
    """The variables every function has with the same value (Globals, mostly).

    Powertools reads its settings (service name, metrics namespace) when the shared layer is first
    imported, once per process here: a dedicated process applies these before that import.
    """
    environments = [resolver.function_environment(f) for f in resources("AWS::Serverless::Function")]
    first, *others = environments
    return {k: v for k, v in first.items() if all(env.get(k) == v for env in others)}


class EnvironmentRoom:
    """Invocations of one function run together, inside its environment; invocations of another
    function wait until the room is empty. Arrivals keep their order across functions, so a steady
    stream of one function's invocations cannot starve another. Not re-entrant: an invocation must
    not invoke another function from its own thread."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._occupant: str | None = None
        self._inside = 0
        self._waiting: list[tuple[int, str]] = []  # (ticket, function), in arrival order
        self._tickets = itertools.count()

    def _may_enter(self, ticket: tuple[int, str]) -> bool:
        function = ticket[1]
        ahead = self._waiting[: self._waiting.index(ticket)]
        my_turn = all(other == function for _, other in ahead)
        return my_turn and (self._inside == 0 or self._occupant == function)

    @contextmanager
    def enter(self, function: str, apply: Callable[[], None], restore: Callable[[], None]) -> Iterator[None]:
        """``apply`` runs as the first invocation enters, ``restore`` as the last one leaves."""
        with self._changed:
            ticket = (next(self._tickets), function)
            self._waiting.append(ticket)
            try:
                self._changed.wait_for(lambda: self._may_enter(ticket))
            finally:
                self._waiting.remove(ticket)
            if self._inside == 0:
                try:
                    apply()
                except BaseException:
                    self._changed.notify_all()
                    raise
                self._occupant = function
            self._inside += 1
        try:
            yield
        finally:
            with self._changed:
                self._inside -= 1
                if self._inside == 0:
                    self._occupant = None
                    restore()
                self._changed.notify_all()


class FunctionHost:
    def __init__(self, resolver: Resolver, endpoint: str) -> None:
        self.resolver = resolver
        self.base = {**LOCAL_AWS_ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}
        self.environments = {
            logical_id: {**self.base, **resolver.function_environment(logical_id)}
            for logical_id in resources("AWS::Serverless::Function")
        }
        self.managed = sorted({name for env in self.environments.values() for name in env})
        self._room = EnvironmentRoom()
        self._saved: dict[str, str | None] = {}
        # Containers (and the clients they cache) belong to this host: another stack gets its own.
        self._pool = threading.Lock()
        self._idle: dict[str, list[ModuleType]] = {}
        self._containers: dict[str, int] = {}  # function -> how many containers it has
        self._runtime_built_for: dict[str, str] | None = None
        # Powertools' event handler keeps the request it serves on its BaseRouter class
        # (current_event, lambda_context, the middleware frames): one per process, as Lambda runs one
        # invocation per process. Here every function shares this process, so the HTTP API functions
        # serve one request at a time, or concurrent requests would swap bodies.
        self._api_functions = {route.function for route in http_routes()}
        self._one_request = threading.Lock()

    def containers(self, logical_id: str) -> int:
        """How many containers the function has had to start (its peak concurrency)."""
        return self._containers.get(logical_id, 0)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        _, function_name = handler_path(logical_id)
        context = LambdaContext(
            function_name=self.resolver.physical_name(logical_id),
            memory_limit_in_mb=int(function_property(logical_id, "MemorySize") or 128),
            timeout_seconds=int(function_property(logical_id, "Timeout") or 3),
        )
        wanted = self.environments[logical_id]
        with self._room.enter(logical_id, lambda: self._apply(wanted), self._restore):
            module = self._take_container(logical_id)
            serving: AbstractContextManager[object] = (
                self._one_request if logical_id in self._api_functions else nullcontext()
            )
            try:
                with serving:
                    return getattr(module, function_name)(event, context)
            finally:
                with self._pool:
                    self._idle[logical_id].append(module)

    def _take_container(self, logical_id: str) -> ModuleType:
        with self._pool:
            idle = self._idle.setdefault(logical_id, [])
            if idle:
                return idle.pop()
            number = self._containers.get(logical_id, 0)
            self._containers[logical_id] = number + 1
        return load_handler_module(logical_id, number)

    def _apply(self, wanted: dict[str, str]) -> None:
        from rewards import runtime

        self._saved = {name: os.environ.get(name) for name in self.managed}
        for name in self.managed:
            if name in wanted:
                os.environ[name] = wanted[name]
            else:
                os.environ.pop(name, None)
        if self._runtime_built_for != wanted:  # another function's clients and stores: rebuild
            runtime.reset()
            self._runtime_built_for = wanted

    def _restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
