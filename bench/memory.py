"""Peak memory (ru_maxrss) of each function's process, in a fresh python3.13 per measurement.

Three figures per function, each from its own process with the environment of bench/cold_start.py
(the function's template variables, Lambda's own, tracing on):

- ``import``: import the handler module and create its clients, as a cold start does (no moto);
- ``moto``: moto + the template's resources (tools.provision) + the demo configuration, no function
  (the same for every function: what the in-process fake adds);
- ``event``: both, then one representative event from ``events/`` processed against that moto.

moto's setup sets the ``event`` peak by itself (its service models and the provisioning), so the
event's own cost is measured as the process's RSS growth across the invocation (/proc/self/status
VmRSS; it includes the handler's import, its clients and the moto work of that one call). A
function is within the goal when ``import`` + that growth is.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.memory [--python .venv/bin/python]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from tools.samtemplate import ROOT, Resolver, handler_path, resources

from bench.cold_start import HANDLER, clients_of

GOAL_MB = 128
EVENTS = {
    "AuthProcessorFunction": "sqs-network-authorization",
    "AuthorizationsFunction": "apigw-post-authorization-sync",
    "PreferencesFunction": "apigw-get-preferences",
    "RedeemersFunction": "apigw-get-redeemer",
    "RedemptionsFunction": "apigw-post-redemption-merchandise",
    "ReprocessFunction": "apigw-post-reprocess",
}
MOTO = """
from moto import mock_aws
mock = mock_aws()
mock.start()
from tests.support import load_config, provision_stack
load_config(provision_stack("memory"))
"""
EVENT = """
def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
from tests.support import invoke, load_event
before = rss_kb()
invoke({logical_id!r}, load_event({event!r}))
print(rss_kb() - before)
"""
REPORT = "\nimport resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"


def peak_mb(python: str, code: str, env: dict[str, str]) -> float:
    """ru_maxrss of a fresh process running ``code`` (Linux reports KB)."""
    return run_mb(python, code, env)[-1]


def run_mb(python: str, code: str, env: dict[str, str]) -> list[float]:
    """The numbers (KB) the process prints, in MB; the last is its ru_maxrss."""
    done = subprocess.run(  # noqa: S603 - our own code
        [python, "-c", code + REPORT], env=env, check=True, cwd=ROOT, capture_output=True, text=True
    )
    return [int(line) / 1024 for line in done.stdout.strip().splitlines()[-2:] if line.lstrip("-").isdigit()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    args = parser.parse_args()
    resolver = Resolver(prefix="memory", endpoint="https://sqs.us-east-1.amazonaws.com", parameters={})
    base = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "AWS_"))} | {
        "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{ROOT}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    floor = peak_mb(args.python, "import boto3\nboto3.client('dynamodb')\n", base)
    moto = peak_mb(args.python, MOTO, base | {"POWERTOOLS_TRACE_DISABLED": "1"})
    version = subprocess.run([args.python, "-V"], capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603
    print(
        f"peak memory, ru_maxrss ({version}; floor boto3 + one client {floor:.0f} MB; "
        f"moto + resources + demo {moto:.0f} MB)"
    )
    print(f"  {'function':24s} {'import':>7s} {'event':>7s} {'RSS growth':>10s}  goal <= {GOAL_MB} MB")
    for logical_id in sorted(resources("AWS::Serverless::Function")):
        path, _ = handler_path(logical_id)
        environment = resolver.function_environment(logical_id)
        env = base | environment | {"AWS_LAMBDA_FUNCTION_NAME": logical_id}
        code = HANDLER.format(
            layer=str(ROOT / "layers" / "shared"), path=str(path), clients=clients_of(logical_id, environment)
        )
        imported = peak_mb(args.python, code, env)
        event_name = EVENTS.get(logical_id)
        if event_name is None:
            line = f"  {logical_id:24s} {imported:6.0f}M {'-':>7s} {'-':>10s}"
            print(f"{line}  {'ok' if imported <= GOAL_MB else 'OVER'} (no representative event yet)")
            continue
        # The event runs through the tests' invoke (the handler loaded by tests.support), tracing off as in tests.
        event_env = env | {"POWERTOOLS_TRACE_DISABLED": "1"}
        growth, processed = run_mb(args.python, MOTO + EVENT.format(logical_id=logical_id, event=event_name), event_env)
        verdict = "ok" if imported + growth <= GOAL_MB else "OVER"
        print(f"  {logical_id:24s} {imported:6.0f}M {processed:6.0f}M {growth:+9.1f}M  {verdict}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
