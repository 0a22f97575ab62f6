"""Check, offline, what `sam deploy` would ship: the built artifacts and the samconfig.toml environments.

    python -m tools.deploy_check        # after `sam build` (make deploy-check runs both, and sam validate)

Findings (exit 1): a function or the layer missing from .aws-sam/build; the local-only Swagger
signing helper (or any of tools/) inside an artifact; the layer's botocore not its boto3's; dev and
prod sharing a stack, a card-hash key or a webhook secret prefix, or a secret name not naming its
stage. A sender address still the placeholder is a warning: everything but emails works.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from tools.cli import Parser, Problem, run
from tools.local.swagger import SIGN_PATH
from tools.samtemplate import ROOT, resources

BUILD = ROOT / ".aws-sam" / "build"
SAMCONFIG = ROOT / "samconfig.toml"
ENVIRONMENTS = ("dev", "prod")
PLACEHOLDER = "your-domain.example"
SEPARATE = ("PanHashKeyParameterName", "WebhookSecretParameterPrefix")


def overrides(environment: dict[str, Any]) -> dict[str, str]:
    text = str(environment.get("deploy", {}).get("parameters", {}).get("parameter_overrides", ""))
    return dict(pair.split("=", 1) for pair in text.split())


def samconfig_findings(config: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(findings, warnings) about the deploy environments."""
    findings, warnings = [], []
    missing = [name for name in ENVIRONMENTS if name not in config]
    if missing:
        return [f"samconfig.toml has no [{name}] environment" for name in missing], []
    values = {name: overrides(config[name]) for name in ENVIRONMENTS}
    stacks = {name: config[name]["deploy"]["parameters"].get("stack_name") for name in ENVIRONMENTS}
    if len(set(stacks.values())) < len(ENVIRONMENTS):
        findings.append(f"dev and prod deploy the same stack {stacks['dev']}")
    for name in ENVIRONMENTS:
        if values[name].get("Stage") != name:
            findings.append(f"[{name}] deploys Stage={values[name].get('Stage')}")
        for parameter in SEPARATE:
            if f"/{name}/" not in f"/{values[name].get(parameter, '')}/":
                findings.append(f"[{name}] {parameter}={values[name].get(parameter)} does not name its stage")
        for parameter in ("NotificationSenderAddress", "NotificationSenderIdentity"):
            if parameter not in values[name]:
                findings.append(f"[{name}] sets no {parameter} (the template's default would be used)")
            elif PLACEHOLDER in values[name][parameter]:
                warnings.append(f"[{name}] {parameter} is the placeholder: no email goes out until it is yours")
    for parameter in SEPARATE:
        if values["dev"].get(parameter) == values["prod"].get(parameter):
            findings.append(f"dev and prod share {parameter}={values['dev'].get(parameter)}")
    return findings, warnings


def built_findings(build: Path) -> list[str]:
    findings = []
    expected = [*resources("AWS::Serverless::Function"), *resources("AWS::Serverless::LayerVersion")]
    findings += [f"{name} is not in {build}" for name in expected if not (build / name).is_dir()]
    for path in sorted(build.rglob("*.py")):
        relative = path.relative_to(build)
        if "tools" in relative.parts[1:2] or SIGN_PATH in path.read_text(errors="replace"):
            findings.append(f"{relative} is local-only code inside a deployed artifact")
    versions = {}
    for package in ("boto3", "botocore"):
        found = sorted((build / "SharedLayer" / "python").glob(f"{package}-*.dist-info"))
        versions[package] = re.sub(r"^.*?-(.*)\.dist-info$", r"\1", found[0].name) if found else None
    if versions["boto3"] != versions["botocore"]:
        findings.append(f"the layer ships boto3 {versions['boto3']} with botocore {versions['botocore']}")
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog="python -m tools.deploy_check", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--build-dir", type=Path, default=BUILD)
    args = parser.parse_args(argv)
    if not (args.build_dir / "template.yaml").exists():
        raise Problem(f"no {args.build_dir}/template.yaml: run sam build first (make deploy-check does)")
    findings, warnings = samconfig_findings(tomllib.loads(SAMCONFIG.read_text()))
    findings += built_findings(args.build_dir)
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in findings:
        print(f"FINDING: {line}")
    print(f"deploy check: {len(findings)} finding(s), {len(warnings)} warning(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(run(main))
