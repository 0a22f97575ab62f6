"""The local stack, started once per session on ephemeral ports, and a signed HTTP client for it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tools.local.client import Reply, send
from tools.local.keys import CONSUMER_KEY
from tools.local.signing import load_private_key
from tools.local.stack import LocalStack, StackOptions

pytestmark = pytest.mark.e2e


@dataclass
class Api:
    stack: LocalStack
    signing_key: Any

    def __call__(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None, *, signed: bool = True
    ) -> Reply:
        text = body if isinstance(body, str) or body is None else json.dumps(body)
        return send(
            self.stack.url,
            method,
            path,
            body=text,
            query=list((query or {}).items()),
            consumer_key=CONSUMER_KEY,
            signing_key=self.signing_key if signed else None,
        )


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    options = StackOptions(
        port=0,
        moto_port=0,
        webhook_port=0,  # a free port: the demo client's webhook is pointed at it
        prefix=f"e2e-{uuid.uuid4().hex[:8]}",
        state_dir=tmp_path_factory.mktemp("local"),
    )
    with LocalStack(options) as stack:
        yield stack


@pytest.fixture(scope="session")
def api(local_stack: LocalStack) -> Api:
    assert local_stack.private_key is not None
    return Api(local_stack, load_private_key(local_stack.private_key))


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.2) -> Any:
    """The first truthy result of ``check``, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s (last result {result!r})")
        time.sleep(interval)
