"""Lambda SnapStart (template parameter ``SnapStart=true``): the hooks of a function whose published
version is restored from a snapshot of its initialized environment.

Before the snapshot, the function's composition root is built (its clients, stores and services)
and every pydantic model it imported is built (they defer their schema builds to first use), so a
restored environment starts with all of it done. After a restore, what must not be shared by the
environments restored from one snapshot is renewed: the clients' open connections are closed (a
restored socket is stale; each client reconnects on its next call, its loaded service model kept),
and ``random`` is reseeded (the retry jitter would repeat in every copy). Identifiers come from
``uuid4``, which reads the operating system's generator on every call and needs nothing.

``snapshot_restore_py`` ships in Lambda's Python runtimes; elsewhere (the local stack, the tests)
there is nothing to register.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import Any


def register(prime: Callable[[], Any]) -> bool:
    """Register the hooks for a function whose composition root is ``prime``; False off Lambda."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_before_snapshot(before_snapshot, prime)
    register_after_restore(after_restore)
    return True


def before_snapshot(prime: Callable[[], Any]) -> None:
    prime()
    build_models()


def build_models() -> int:
    """Build every imported ``rewards`` model and type adapter whose build was deferred; how many."""
    from pydantic import BaseModel, TypeAdapter

    built = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("rewards") or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel:
                if not value.__pydantic_complete__ and value.model_rebuild() is not None:
                    built += 1
            elif isinstance(value, TypeAdapter) and not value.pydantic_complete:
                built += int(bool(value.rebuild()))
    return built


def after_restore() -> None:
    from rewards import runtime

    runtime.close_connections()
    random.seed()
