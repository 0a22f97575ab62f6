"""Cold start per function as Lambda runs it, as a ratio to a bare boto3 function (the floor: import
boto3 and create one DynamoDB client), measured in the same run: every run of a function is paired
with a run of the floor just before it, and the ratio is the median of the N pairs' ratios (on a
shared machine a pair shares its moment's load; medians of separate runs moved by ±0.3).

What each process reproduces (the layout ``sam build`` ships and the environment Lambda gives):

- the shared layer as ``layers/shared/Makefile`` builds it: ``requirements.txt`` installed with
  ``pip --target`` (for this machine), the ``rewards`` package beside it, everything compiled to
  bytecode; a function's own ``requirements.txt`` (the authorizer's ``cryptography``) installed
  into its code directory, compiled as its own Makefile builds it (without bytecode for a function
  SAM's Python builder builds). Lambda's /opt and
  /var/task are read-only, so ``PYTHONDONTWRITEBYTECODE=1``: nothing compiled is kept between runs.
  The floor imports the same compiled boto3, as the runtime's compiled boto3 would be;
- the interpreter itself (not a virtual environment's): nothing but the layer and the code
  directory supplies packages;
- Lambda's variables: the function's template environment, ``LAMBDA_TASK_ROOT`` (its code
  directory), ``AWS_LAMBDA_FUNCTION_NAME``, ``AWS_EXECUTION_ENV``, the memory size and Active
  tracing's ``AWS_XRAY_DAEMON_ADDRESS``;
- the init: the handler module imported as Lambda's bootstrap imports it, then the clients the
  function creates for its work (``rewards.runtime``: DynamoDB, and SQS, SNS, SES, SSM where it uses
  them; the card-number key's SSM provider where the network feed's card numbers are hashed);
- not the interpreter's teardown: a Lambda process is frozen after its init, never torn down on
  the caller's time, so each process ends with ``os._exit`` once its init is done (the teardown of
  boto3's objects alone cost a third of the floor).

Wall time and the process's CPU time (user + system) are both printed; a function meets the goal
when both ratios are within it.

``--steps`` measures, for each function, what each piece adds on the way from the floor to it, as
a fraction of the floor's CPU time (cumulative programs, interleaved like the rest): pydantic, then
Powertools' Logger and Metrics with the card mask (``rewards.observability``), then Powertools'
event handler with the envelope (``rewards.http``, API functions), then the rest of the function.

    PYTHONPATH=layers/shared:. .venv/bin/python -m bench.cold_start [--runs 9] [--layer-cache DIR] [--steps]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.samtemplate import ROOT, Resolver, function_property, handler_path, resources

FLOOR = "import boto3\nboto3.client('dynamodb')\n"
# Import the handler and create the function's clients (bench.memory runs it too, with the source tree).
HANDLER = """
import importlib.util, sys
sys.path[:0] = [{layer!r}]
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
from rewards import runtime
for service in {clients!r}:
    runtime.ssm_provider() if service == "ssm-provider" else runtime.aws_client(service)
"""
PATHS = "import sys\nsys.path[:0] = {paths!r}\n"
FROZEN = "import os\nos._exit(0)\n"  # init done: Lambda freezes the process here
GOAL = 1.3
STEPS = (
    ("pydantic", "import pydantic\nfrom pydantic import BaseModel\n"),
    ("Logger + Metrics", "import rewards.observability\n"),
    ("router + envelope", "import rewards.http\n"),
)
FLOOR_NAME = "floor (boto3 + one DynamoDB client)"
# The network feed identifies cardholders by card number: the queue processor hashes them at once.
HASHES_CARD_NUMBERS = {"AuthProcessorFunction"}


def clients_of(logical_id: str, environment: dict[str, str]) -> list[str]:
    """The AWS clients a function creates for its work (from its environment and policies)."""
    clients = ["dynamodb"] if any(name.endswith("_TABLE_NAME") for name in environment) else []
    policies = str(function_property(logical_id, "Policies") or "")
    if "AUTH_QUEUE_URL" in environment or "SQSSendMessagePolicy" in policies or "WEBHOOK_QUEUE_URL" in environment:
        clients.append("sqs")
    if "SNSPublish" in policies or "sns:Publish" in policies:
        clients.append("sns")
    if "SES" in policies or "ses:" in policies:
        clients.append("ses")
    if logical_id in HASHES_CARD_NUMBERS:
        clients.append("ssm-provider")
    elif "SSMParameterReadPolicy" in policies and "PAN_HASH_KEY_PARAM" not in environment:
        clients.append("ssm")  # the webhook sender's signing secrets
    return clients


def run_once(python: str, code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([python, "-c", code], env=env, check=True, cwd=ROOT)  # noqa: S603 - our own code
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pip_install(python: str, requirements: Path, target: Path) -> None:
    pip = [python, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(requirements), "--target", str(target)], check=True, capture_output=True)  # noqa: S603


def compiled(python: str, directory: Path) -> Path:
    compile_all = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*compile_all, str(directory)], check=True)  # noqa: S603
    return directory


def layer_packages(python: str, cache: Path | None, scratch: Path) -> Path:
    """The layer's requirements, installed and compiled (kept in ``cache`` per requirements file)."""
    requirements = ROOT / "layers" / "shared" / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes() + python.encode()).hexdigest()[:16]
    target = (cache or scratch) / f"layer-{digest}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        pip_install(python, requirements, target)
        compiled(python, target)
        (target / ".complete").touch()
    return target


def code_directory(python: str, logical_id: str, scratch: Path) -> Path:
    """The function's code directory as built: its sources and requirements, compiled when its build
    is its own Makefile (the authorizer's), without bytecode as SAM's Python builder ships it otherwise."""
    source, _ = handler_path(logical_id)
    target = scratch / "functions" / logical_id
    ignored = shutil.ignore_patterns("__pycache__", "requirements.*", "Makefile")
    shutil.copytree(source.parent, target, ignore=ignored)
    if (source.parent / "requirements.txt").exists():
        pip_install(python, source.parent / "requirements.txt", target)
    metadata = resources()[logical_id].get("Metadata") or {}
    return compiled(python, target) if metadata.get("BuildMethod") == "makefile" else target


def interpreter(python: str) -> str:
    """The interpreter behind a virtual environment's python (no environment's packages on the path)."""
    base = subprocess.run(  # noqa: S603 - our own interpreter
        [python, "-c", "import sys; print(sys._base_executable)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return base or python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--layer-cache", type=Path, help="keep the installed layer packages here between runs")
    parser.add_argument("--only", nargs="*", help="these functions only (logical ids)")
    parser.add_argument("--steps", action="store_true", help="what each piece adds, per function")
    args = parser.parse_args()
    python = interpreter(args.python)
    with tempfile.TemporaryDirectory(prefix="cold-start-") as directory:
        scratch = Path(directory)
        packages = layer_packages(python, args.layer_cache, scratch)
        rewards = scratch / "layer"
        shutil.copytree(
            ROOT / "layers" / "shared" / "rewards", rewards / "rewards", ignore=shutil.ignore_patterns("__pycache__")
        )
        compiled(python, rewards)
        measure(args, python, [str(rewards), str(packages)], scratch)


def lambda_environment() -> dict[str, str]:
    inherited = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "AWS_", "VIRTUAL_ENV"))
    }
    return inherited | {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def measure(args: argparse.Namespace, python: str, layer: list[str], scratch: Path) -> None:
    resolver = Resolver(prefix="bench", endpoint="https://sqs.us-east-1.amazonaws.com", parameters={})
    base_env = lambda_environment()
    floor_env = base_env | {"LAMBDA_TASK_ROOT": str(scratch), "AWS_LAMBDA_FUNCTION_NAME": "Floor"}
    programs = {FLOOR_NAME: (PATHS.format(paths=layer) + FLOOR + FROZEN, floor_env)}
    for logical_id in resources("AWS::Serverless::Function"):
        if args.only and logical_id not in args.only:
            continue
        task_root = code_directory(python, logical_id, scratch)
        environment = resolver.function_environment(logical_id)
        _, function = handler_path(logical_id)
        paths = [str(task_root), *layer]
        code = PATHS.format(paths=paths) + HANDLER.format(
            layer=str(task_root), path=str(task_root / "app.py"), clients=clients_of(logical_id, environment)
        )
        assert function == "lambda_handler"
        env = base_env | environment | {"LAMBDA_TASK_ROOT": str(task_root), "AWS_LAMBDA_FUNCTION_NAME": logical_id}
        programs[logical_id] = (code + "assert callable(module.lambda_handler)\n" + FROZEN, env)
        if args.steps:
            before = PATHS.format(paths=paths) + FLOOR
            for step, imports in STEPS:
                if step == "router + envelope" and "HttpApi" not in str(function_property(logical_id, "Events")):
                    continue
                before += imports
                programs[f"{logical_id} + {step}"] = (before + FROZEN, env)
    for code, env in programs.values():  # warm the page cache; nothing compiled is kept
        run_once(python, code, env)
    walls: dict[str, list[float]] = {name: [] for name in programs}
    cpus: dict[str, list[float]] = {name: [] for name in programs}
    wall_ratios: dict[str, list[float]] = {name: [] for name in programs if name != FLOOR_NAME}
    cpu_ratios: dict[str, list[float]] = {name: [] for name in wall_ratios}
    floor_code, floor_env = programs[FLOOR_NAME]
    for _ in range(args.runs):  # each program right after a floor of its own: a pair shares the machine's state
        for name in list(wall_ratios):
            floor = run_once(python, floor_code, floor_env)
            wall, cpu = run_once(python, *programs[name])
            for values, value in ((walls[FLOOR_NAME], floor[0]), (cpus[FLOOR_NAME], floor[1])):
                values.append(value)
            walls[name].append(wall)
            cpus[name].append(cpu)
            wall_ratios[name].append(wall / floor[0])
            cpu_ratios[name].append(cpu / floor[1])
    cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
    floor_wall, floor_cpu = statistics.median(walls[FLOOR_NAME]), cpu_medians.pop(FLOOR_NAME)
    version = subprocess.run([python, "-V"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    print(
        f"cold start as deployed ({version.strip()}, {args.runs} pairs of fresh processes per function, load average "
        f"{os.getloadavg()[0]:.1f}; floor {floor_wall * 1000:.0f} ms wall, {floor_cpu * 1000:.0f} ms CPU, medians)"
    )
    if args.steps:
        print_steps({name: statistics.median(values) * floor_cpu for name, values in cpu_ratios.items()}, floor_cpu)
        return
    print(f"  {'function':24s} {'wall':>7s} {'ratio':>6s}  {'CPU':>7s} {'ratio':>6s}  goal {GOAL}x (median of pairs)")
    for name in sorted(wall_ratios):
        ratio, cpu_ratio = statistics.median(wall_ratios[name]), statistics.median(cpu_ratios[name])
        verdict = "met" if max(ratio, cpu_ratio) <= GOAL else "NOT met"
        wall, cpu = statistics.median(walls[name]) * 1000, cpu_medians[name] * 1000
        print(f"  {name:24s} {wall:5.0f}ms {ratio:5.2f}x  {cpu:5.0f}ms {cpu_ratio:5.2f}x  {verdict}")
    sys.stdout.flush()


def print_steps(cpu_medians: dict[str, float], floor_cpu: float) -> None:
    """Each piece's CPU time as a fraction of the floor's, in the order added; the function's total ratio."""
    functions = sorted(name for name in cpu_medians if " + " not in name)
    names = [step for step, _ in STEPS] + ["the rest of the function"]
    print(
        f"  {'step (CPU, fraction of the floor)':34s}"
        + "".join(f"{f.removesuffix('Function')[:13]:>14s}" for f in functions)
    )
    for index, step in enumerate(names):
        cells = []
        for function in functions:
            here = cpu_medians.get(f"{function} + {step}") if index < len(STEPS) else cpu_medians[function]
            if here is None:
                cells.append(f"{'-':>14s}")
                continue
            earlier = [cpu_medians.get(f"{function} + {s}") for s in names[:index]]
            previous = next((c for c in reversed(earlier) if c is not None), floor_cpu)
            cells.append(f"{(here - previous) / floor_cpu:+14.2f}")
        print(f"  {step:34s}" + "".join(cells))
    print(f"  {'total ratio':34s}" + "".join(f"{cpu_medians[f] / floor_cpu:13.2f}x" for f in functions))


if __name__ == "__main__":
    main()
