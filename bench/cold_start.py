"""Cold start per function: wall time of a fresh python3.13 process that imports the handler
module and creates the function's clients, as a ratio to a bare handler that only imports boto3
and creates one DynamoDB client, measured in the same run (median of N, runs interleaved). It prints wall time and the
process's CPU time (user + system): on a loaded machine the CPU ratio is the steadier of the two.

Every process gets the environment Lambda gives a function of template.yaml: its variables, and
``LAMBDA_TASK_ROOT`` / ``AWS_LAMBDA_FUNCTION_NAME`` / ``AWS_XRAY_DAEMON_ADDRESS`` with tracing on
(``Tracing: Active``). Without them the X-Ray SDK builds its centralized sampler (two botocore
clients, ~100 ms) that it never builds inside Lambda. ``--tracing-disabled`` sets
``POWERTOOLS_TRACE_DISABLED=1`` instead.

``--bytecode`` measures the layer as deployed instead of the source tree: it installs
``layers/shared/requirements.txt`` (for this machine) and the ``rewards`` package into two temporary
layers, one without bytecode as SAM's Python builder ships it and one compiled as
``layers/shared/Makefile`` ships it, and runs every function on each with ``PYTHONDONTWRITEBYTECODE=1``
(Lambda's /opt is read-only: a layer without .pyc files is compiled at every cold start). The floor
keeps the interpreter's own compiled boto3, as the Lambda runtime's boto3 is.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.cold_start [--runs 9] [--bytecode]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tools.samtemplate import ROOT, Resolver, function_property, handler_path, resources

FLOOR = "import boto3\nboto3.client('dynamodb')\n"
HANDLER = """
import importlib.util, sys
sys.path[:0] = [{layer!r}]
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
from rewards import runtime
for service in {clients!r}:
    runtime.aws_client(service)
"""
GOAL = 1.3
FLOOR_NAME = "floor (boto3 + one DynamoDB client)"


def clients_of(logical_id: str, environment: dict[str, str]) -> list[str]:
    """The AWS clients a function creates for its work (from its environment and policies)."""
    clients = ["dynamodb"]
    policies = str(function_property(logical_id, "Policies") or "")
    if "AUTH_QUEUE_URL" in environment or "SQSSendMessagePolicy" in policies:
        clients.append("sqs")
    if "SNSPublish" in policies or "sns:Publish" in policies:
        clients.append("sns")
    if "SES" in policies or "ses:" in policies:
        clients.append("ses")
    return clients


def run_once(python: str, code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([python, "-c", code], env=env, check=True, cwd=ROOT)  # noqa: S603 - our own code
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def build_layers(python: str, into: Path) -> dict[str, Path]:
    """The shared layer without bytecode (SAM's Python builder) and compiled (layers/shared/Makefile)."""
    source = ROOT / "layers" / "shared"
    plain, compiled = into / "source-only", into / "bytecode"
    requirements = str(source / "requirements.txt")
    pip = [python, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", requirements, "--target", str(plain)], check=True, capture_output=True)  # noqa: S603
    shutil.copytree(source / "rewards", plain / "rewards", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(plain, compiled)
    compile_all = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(compiled)]
    subprocess.run(compile_all, check=True)  # noqa: S603
    return {"no bytecode": plain, "bytecode": compiled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--tracing-disabled", action="store_true", help="POWERTOOLS_TRACE_DISABLED=1")
    parser.add_argument("--bytecode", action="store_true", help="the built layer, with and without bytecode")
    args = parser.parse_args()
    if args.bytecode:
        with tempfile.TemporaryDirectory(prefix="layer-") as scratch:
            measure(args, build_layers(args.python, Path(scratch)))
    else:
        measure(args, {"": ROOT / "layers" / "shared"})


def measure(args: argparse.Namespace, layers: dict[str, Path]) -> None:
    resolver = Resolver(prefix="bench", endpoint="https://sqs.us-east-1.amazonaws.com", parameters={})
    base_env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "AWS_ENDPOINT"))} | {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }
    if args.tracing_disabled:
        base_env["POWERTOOLS_TRACE_DISABLED"] = "1"
    programs = {FLOOR_NAME: (FLOOR, base_env)}
    for logical_id in resources("AWS::Serverless::Function"):
        path, _ = handler_path(logical_id)
        environment = resolver.function_environment(logical_id)
        for label, layer in layers.items():
            code = HANDLER.format(layer=str(layer), path=str(path), clients=clients_of(logical_id, environment))
            name = f"{logical_id} ({label})" if label else logical_id
            programs[name] = (code, base_env | environment | {"AWS_LAMBDA_FUNCTION_NAME": logical_id})
    built = "" not in layers  # a built layer stays as built: no bytecode is written into it
    for code, env in programs.values():  # warm the page cache (and, on the source tree, write current bytecode)
        run_once(args.python, code, env if built else {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})
    walls: dict[str, list[float]] = {name: [] for name in programs}
    cpus: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(args.runs):
        for name, (code, env) in programs.items():
            wall, cpu = run_once(args.python, code, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall_medians = {name: statistics.median(values) for name, values in walls.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
    floor_wall, floor_cpu = wall_medians.pop(FLOOR_NAME), cpu_medians.pop(FLOOR_NAME)
    version = subprocess.run([args.python, "-V"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    print(
        f"cold start ({version.strip()}, median of {args.runs} fresh processes, load average "
        f"{os.getloadavg()[0]:.1f}; floor {floor_wall * 1000:.0f} ms wall, {floor_cpu * 1000:.0f} ms CPU)"
    )
    print(f"  {'function':42s} {'wall':>7s} {'ratio':>6s}  {'CPU':>7s} {'ratio':>6s}")
    for name, wall in sorted(wall_medians.items(), key=lambda kv: kv[0]):
        ratio, cpu_ratio = wall / floor_wall, cpu_medians[name] / floor_cpu
        verdict = "ok" if max(ratio, cpu_ratio) <= GOAL else "OVER"
        cpu = cpu_medians[name] * 1000
        print(f"  {name:42s} {wall * 1000:5.0f}ms {ratio:5.2f}x  {cpu:5.0f}ms {cpu_ratio:5.2f}x  {verdict}")


if __name__ == "__main__":
    main()
