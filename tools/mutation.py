"""Mutation check of the pure rules (``rules/`` and ``money.py``) against the unit tests (make mutation).

mutmut mutates a package found from its file path, so this copies the layer's ``rewards`` package
to the top of a scratch workspace (``.mutation/``) with the unit tests and what they import, runs
``mutmut run`` there, and prints the score: killed / (killed + survived + timeouts). The survivors
are listed by ``cd .mutation && ../.venv/bin/mutmut results``; ``mutmut show NAME`` prints one.

    .venv/bin/python -m tools.mutation [--children 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / ".mutation"
MUTMUT = Path(sys.executable).with_name("mutmut")
COPIED = {
    "layers/shared/rewards": "rewards",
    "tests/__init__.py": "tests/__init__.py",
    "tests/support.py": "tests/support.py",
    "tests/conftest.py": "tests/conftest.py",
    "tests/unit": "tests/unit",
    "tools": "tools",
    "config": "config",
    "events": "events",
    "functions": "functions",
    "template.yaml": "template.yaml",
}
SETTINGS = """[tool.pytest.ini_options]
pythonpath = ["."]
addopts = "-p no:cacheprovider -q -x"
markers = ["unit: pure rules and models, no AWS"]

[tool.mutmut]
source_paths = ["rewards/rules/", "rewards/money.py"]
pytest_add_cli_args_test_selection = ["tests/unit/"]
also_copy = ["rewards/", "tools/", "tests/", "config/", "events/", "functions/", "template.yaml"]
"""


def build_workspace() -> None:
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source, target in COPIED.items():
        origin, destination = ROOT / source, WORKSPACE / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, destination, ignore=ignore)
        else:
            shutil.copy2(origin, destination)
    (WORKSPACE / "pyproject.toml").write_text(SETTINGS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=2, help="mutants tested at once")
    children = parser.parse_args().children
    build_workspace()
    run = subprocess.run(  # noqa: S603 - our own environment's mutmut
        [str(MUTMUT), "run", "--max-children", str(children)], cwd=WORKSPACE, stdout=subprocess.DEVNULL, check=False
    )
    if run.returncode != 0:
        return run.returncode
    listed = subprocess.run(  # noqa: S603
        [str(MUTMUT), "results", "--all", "true"], cwd=WORKSPACE, capture_output=True, text=True, check=True
    )
    statuses = Counter(line.rsplit(":", 1)[-1].strip() for line in listed.stdout.splitlines() if ":" in line)
    counted = statuses["killed"] + statuses["survived"] + statuses["timeout"]
    score = statuses["killed"] / counted if counted else 0.0
    print(f"mutants: {sum(statuses.values())} ({dict(sorted(statuses.items()))})")
    print(f"score: {score:.1%} killed of killed + survived + timeouts (rules/ and money.py, tests/unit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
