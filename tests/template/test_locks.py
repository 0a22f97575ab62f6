"""The lock files pin every package with hashes, agree with their .in files and with each other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tools.samtemplate import ROOT

pytestmark = pytest.mark.template

LAYER_LOCK = ROOT / "layers" / "shared" / "requirements.txt"
AUTHORIZER_LOCK = ROOT / "functions" / "authorizer" / "requirements.txt"
LOCKS = {
    ROOT / "requirements" / "dev.in": ROOT / "requirements" / "dev.txt",
    ROOT / "requirements" / "sam.in": ROOT / "requirements" / "sam.txt",
    ROOT / "requirements" / "uv.in": ROOT / "requirements" / "uv.txt",
    ROOT / "layers" / "shared" / "requirements.in": LAYER_LOCK,
    ROOT / "functions" / "authorizer" / "requirements.in": AUTHORIZER_LOCK,
}
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def direct_pins(source: Path) -> dict[str, str]:
    """``name==version`` lines of an .in file and of the .in files it includes with ``-r``."""
    pins: dict[str, str] = {}
    for raw in source.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins |= direct_pins((source.parent / line[3:].strip()).resolve())
        elif found := PIN.match(line):
            pins[_name(found[1])] = found[2]
    return pins


def locked(lock: Path) -> dict[str, tuple[str, int]]:
    """Each locked package: its version and how many hashes it carries."""
    entries: dict[str, tuple[str, int]] = {}
    current = ""
    for line in lock.read_text().splitlines():
        if found := PIN.match(line):
            current = _name(found[1])
            entries[current] = (found[2], 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


@pytest.mark.parametrize("source", list(LOCKS), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_locked_package_has_hashes_and_the_direct_pins_match(source: Path) -> None:
    lock = locked(LOCKS[source])
    assert lock, f"{LOCKS[source]} is empty"
    unhashed = [name for name, (_, hashes) in lock.items() if hashes == 0]
    assert not unhashed, f"no hashes for {unhashed}: run `make lock`"
    versions = {name: version for name, (version, _) in lock.items()}
    drift = {n: (v, versions.get(n)) for n, v in direct_pins(source).items() if versions.get(n) != v}
    assert not drift, f"{source.name} and its lock disagree (wanted, locked): {drift}; run `make lock`"


def test_the_layer_ships_the_botocore_of_its_boto3() -> None:
    layer = locked(LAYER_LOCK)
    assert layer["botocore"][0] == layer["boto3"][0]


def test_the_dev_environment_runs_the_packages_lambda_runs() -> None:
    dev = locked(ROOT / "requirements" / "dev.txt")
    for lock in (LAYER_LOCK, AUTHORIZER_LOCK):
        for name, (version, _) in locked(lock).items():
            assert dev[name][0] == version, f"{name}: dev {dev[name][0]}, {lock.parent.name} {version}"
