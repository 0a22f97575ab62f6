"""Run the template's functions in this process, one at a time, each with its own environment.

Every invocation holds one lock, applies exactly the environment ``sam local`` would give that
function (Globals + its own variables, pointed at the local moto server), and puts the previous
environment back afterwards, so the process around it (the test session, for one) never sees it.
The shared layer caches its AWS clients; they are dropped whenever the environment they were made
with is not the one this invocation needs.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from tools.samtemplate import ACCOUNT, REGION, Resolver, function_property, handler_path, resources

# Fake credentials: moto accepts anything, and nothing here may reach a real account.
LOCAL_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "1",
}


def load_handler_module(logical_id: str) -> ModuleType:
    """Import functions/<dir>/app.py under a name unique to the function (every file is app.py)."""
    path, _ = handler_path(logical_id)
    spec = importlib.util.spec_from_file_location(f"function_{logical_id}", path)
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


def _settings() -> Any:
    """The shared layer's cached settings, or None for a function without its variables."""
    from rewards.settings import settings

    try:
        return settings()
    except KeyError:
        return None


class FunctionHost:
    def __init__(self, resolver: Resolver, endpoint: str) -> None:
        self.resolver = resolver
        self.base = {**LOCAL_AWS_ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}
        self.environments = {
            logical_id: {**self.base, **resolver.function_environment(logical_id)}
            for logical_id in resources("AWS::Serverless::Function")
        }
        self.managed = sorted({name for env in self.environments.values() for name in env})
        self._lock = threading.RLock()
        # Modules (and the clients they cache) belong to this host: another stack gets its own.
        self._modules: dict[str, ModuleType] = {}
        self._runtime_built_for: tuple[dict[str, str], Any] | None = None

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        _, function_name = handler_path(logical_id)
        context = LambdaContext(
            function_name=self.resolver.physical_name(logical_id),
            memory_limit_in_mb=int(function_property(logical_id, "MemorySize") or 128),
            timeout_seconds=int(function_property(logical_id, "Timeout") or 3),
        )
        with self._lock, self._environment(self.environments[logical_id]):
            if logical_id not in self._modules:
                self._modules[logical_id] = load_handler_module(logical_id)
            return getattr(self._modules[logical_id], function_name)(event, context)

    @contextmanager
    def _environment(self, wanted: dict[str, str]) -> Iterator[None]:
        from rewards import runtime
        from rewards.settings import settings

        saved = {name: os.environ.get(name) for name in self.managed}
        for name in self.managed:
            if name in wanted:
                os.environ[name] = wanted[name]
            else:
                os.environ.pop(name, None)
        built = self._runtime_built_for
        # settings() is cached with the clients: another object means someone else reset them.
        if built is None or built[0] != wanted or settings.cache_info().currsize == 0 or _settings() is not built[1]:
            runtime.reset()
            self._runtime_built_for = (wanted, _settings())
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
