"""samconfig.toml's environments differ where they must, and the deploy check finds what must not ship."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from tools import deploy_check
from tools.samtemplate import resources

pytestmark = pytest.mark.template

CONFIG: dict[str, Any] = tomllib.loads(deploy_check.SAMCONFIG.read_text())


def with_override(environment: str, name: str, value: str | None) -> dict[str, Any]:
    config = copy.deepcopy(CONFIG)
    parameters = config[environment]["deploy"]["parameters"]
    pairs = deploy_check.overrides(config[environment])
    if value is None:
        pairs.pop(name)
    else:
        pairs[name] = value
    parameters["parameter_overrides"] = " ".join(f"{k}={v}" for k, v in pairs.items())
    return config


def test_the_committed_environments_have_no_finding_only_the_sender_placeholder_warning():
    findings, warnings = deploy_check.samconfig_findings(CONFIG)
    assert findings == []
    assert all("placeholder" in w for w in warnings)


def test_prod_reading_the_dev_webhook_secrets_is_a_finding():
    findings, _ = deploy_check.samconfig_findings(
        with_override("prod", "WebhookSecretParameterPrefix", "rewards/dev/webhooks")
    )
    assert "[prod] WebhookSecretParameterPrefix=rewards/dev/webhooks does not name its stage" in findings
    assert "dev and prod share WebhookSecretParameterPrefix=rewards/dev/webhooks" in findings


def test_an_environment_without_a_sender_is_a_finding():
    findings, _ = deploy_check.samconfig_findings(with_override("dev", "NotificationSenderIdentity", None))
    assert findings == ["[dev] sets no NotificationSenderIdentity (the template's default would be used)"]


def fake_build(root: Path, boto3: str = "1.44.5", botocore: str = "1.44.5") -> Path:
    for name in [*resources("AWS::Serverless::Function"), *resources("AWS::Serverless::LayerVersion")]:
        (root / name).mkdir(parents=True)
        (root / name / "app.py").write_text("def lambda_handler(event, context): ...\n")
    (root / "SharedLayer" / "python" / f"boto3-{boto3}.dist-info").mkdir(parents=True)
    (root / "SharedLayer" / "python" / f"botocore-{botocore}.dist-info").mkdir(parents=True)
    return root


def test_a_clean_build_has_no_finding(tmp_path):
    assert deploy_check.built_findings(fake_build(tmp_path)) == []


def test_the_signing_helper_inside_an_artifact_is_a_finding(tmp_path):
    build = fake_build(tmp_path)
    (build / "RedeemersFunction" / "tools" / "local").mkdir(parents=True)
    (build / "RedeemersFunction" / "tools" / "local" / "swagger.py").write_text(f"PATH = '{deploy_check.SIGN_PATH}'\n")
    (build / "NotifierFunction" / "helper.py").write_text(f"URL = 'http://x{deploy_check.SIGN_PATH}'\n")
    assert deploy_check.built_findings(build) == [
        "NotifierFunction/helper.py is local-only code inside a deployed artifact",
        "RedeemersFunction/tools/local/swagger.py is local-only code inside a deployed artifact",
    ]


def test_a_layer_whose_botocore_is_not_its_boto3s_is_a_finding(tmp_path):
    findings = deploy_check.built_findings(fake_build(tmp_path, botocore="1.44.8"))
    assert findings == ["the layer ships boto3 1.44.5 with botocore 1.44.8"]
