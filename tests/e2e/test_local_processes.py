"""The local stack's processes and containers: concurrent invocations of a function run at once,
each in a handler module instance of its own; another function waits for its environment; the moto
process does not outlive its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

import pytest
from tools.local import functions
from tools.local.functions import FunctionHost
from tools.samtemplate import ROOT, Resolver

pytestmark = pytest.mark.e2e

QUEUE_CONSUMER = "AuthProcessorFunction"  # handler: lambda_handler
API_FUNCTION = "AuthorizationsFunction"  # its environment differs (AUTH_QUEUE_URL)


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> tuple[FunctionHost, dict[str, Any]]:
    """A host whose handler modules are stand-ins: each call of ``script[logical_id]`` runs inside."""
    script: dict[str, Any] = {}

    def load(logical_id: str, container: int = 0) -> types.ModuleType:
        module = types.ModuleType(f"fake_{logical_id}_{container}")

        def handler(event: dict[str, Any], context: Any) -> Any:
            return script[logical_id](module, event)

        module.lambda_handler = handler  # type: ignore[attr-defined]
        return module

    monkeypatch.setattr(functions, "load_handler_module", load)
    return FunctionHost(Resolver(prefix="containers-test", endpoint="http://127.0.0.1:1"), "http://127.0.0.1:1"), script


def run_in_threads(count: int, target: Any) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def test_concurrent_invocations_of_a_function_run_at_once_each_in_its_own_container(host):
    functions_host, script = host
    together = threading.Barrier(3, timeout=5)  # broken (and the test fails) unless all 3 run at once
    seen: list[int] = []

    def handler(module: types.ModuleType, event: dict[str, Any]) -> None:
        seen.append(id(module))
        together.wait()

    script[QUEUE_CONSUMER] = handler
    threads = run_in_threads(3, lambda: functions_host.invoke(QUEUE_CONSUMER, {}))
    for thread in threads:
        thread.join(10)
    assert len(set(seen)) == 3
    assert functions_host.containers(QUEUE_CONSUMER) == 3

    script[QUEUE_CONSUMER] = lambda module, event: seen.append(id(module))
    functions_host.invoke(QUEUE_CONSUMER, {})  # a free container is reused
    assert seen[-1] in seen[:3] and functions_host.containers(QUEUE_CONSUMER) == 3


def test_concurrent_api_requests_each_see_their_own_event(host):
    """Powertools' event handler keeps the request being served on its BaseRouter class (one per
    process, as on Lambda): requests served in threads of one process must not swap bodies."""
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from tools.apigw import http_event

    functions_host, script = host

    def handler(module: types.ModuleType, event: dict[str, Any]) -> Any:
        if not hasattr(module, "app"):
            module.app = APIGatewayHttpResolver()  # type: ignore[attr-defined]

            @module.app.post("/echo")  # type: ignore[attr-defined, untyped-decorator]
            def echo() -> dict[str, Any]:
                time.sleep(0.05)  # the other requests arrive meanwhile
                return dict(module.app.current_event.json_body)  # type: ignore[attr-defined]

        return module.app.resolve(event, None)  # type: ignore[attr-defined]

    script[API_FUNCTION] = handler
    answers: dict[int, Any] = {}

    def call(n: int) -> None:
        answers[n] = functions_host.invoke(API_FUNCTION, http_event("POST", "/echo", body={"n": n}))

    threads = [threading.Thread(target=call, args=(n,), daemon=True) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    import json

    assert {n: json.loads(answer["body"])["n"] for n, answer in answers.items()} == {n: n for n in range(5)}


def test_another_function_waits_for_the_running_ones_and_gets_its_own_environment(host):
    functions_host, script = host
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []
    seen_value: list[str | None] = []
    wanted = functions_host.environments[API_FUNCTION]
    differing = "AUTH_QUEUE_URL"
    assert functions_host.environments[QUEUE_CONSUMER].get(differing) != wanted.get(differing)

    def queue_consumer(module: types.ModuleType, event: dict[str, Any]) -> None:
        inside.set()
        release.wait(5)
        order.append("queue consumer done")

    def api_function(module: types.ModuleType, event: dict[str, Any]) -> None:
        order.append("api function")
        seen_value.append(os.environ.get(differing))

    script[QUEUE_CONSUMER], script[API_FUNCTION] = queue_consumer, api_function
    before = dict(os.environ)
    [consumer] = run_in_threads(1, lambda: functions_host.invoke(QUEUE_CONSUMER, {}))
    assert inside.wait(5)
    [api] = run_in_threads(1, lambda: functions_host.invoke(API_FUNCTION, {}))
    time.sleep(0.2)
    assert order == []  # still waiting for the queue consumer's environment to be released
    release.set()
    consumer.join(5)
    api.join(5)
    assert order == ["queue consumer done", "api function"]
    assert seen_value == [wanted[differing]]
    assert dict(os.environ) == before  # the process around the host never sees a function's environment


LAUNCH = """
import sys, time
from tools.local.moto_server import MotoServer
server = MotoServer(port=0)
server.start()
print(server.pid, flush=True)
time.sleep(60)
"""


def alive(pid: int) -> bool:
    """Running (an exited process that nobody has reaped yet counts as gone)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_the_moto_process_exits_when_its_parent_is_killed():
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}{os.pathsep}{ROOT}"}
    parent = subprocess.Popen([sys.executable, "-c", LAUNCH], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait(5)
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail("the moto process outlived its parent")
