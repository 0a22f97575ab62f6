"""Run every benchmark and print the machine it ran on (make bench).

PYTHONPATH=layers/shared:. .venv/bin/python -m bench.run [--runs 9]
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.machine()}, python {platform.python_version()}")
    print(f"load average at start: {load:.2f} (numbers are only comparable on an idle machine)")
    steps = [
        [sys.executable, "-m", "bench.engine"],
        [sys.executable, "-m", "bench.round_trips"],
        [sys.executable, "-m", "bench.write_units"],
        [sys.executable, "-m", "bench.history"],
        [sys.executable, "-m", "bench.cold_start", *sys.argv[1:]],
        [sys.executable, "-m", "bench.memory"],
        [sys.executable, "-m", "bench.batch_plot"],
        [sys.executable, "-m", "bench.e2e"],
    ]
    for step in steps:
        print(flush=True)
        if subprocess.run(step, check=False).returncode != 0:  # noqa: S603 - our own modules
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
