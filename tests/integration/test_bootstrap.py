"""tools.bootstrap against a stack on moto: secrets made once, the client's key registered, the
document loaded, and then a request signed with that key reads a cardholder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from tools.bootstrap import main
from tools.cli import Problem

from tests.integration.test_authorizer import new_key, public_pem, request_event, sign, through_gateway
from tests.support import PAN_KEY_PARAM, ROOT, body

EXAMPLE = ROOT / "config" / "production.example.yaml"
STACK = "rewards-boot"
PREFIX = "rewards/prod/webhooks"
CONSUMER_KEY = "first-issuer-1!prod"
HOST = "abc123.execute-api.us-east-1.amazonaws.com"


@pytest.fixture
def deployed(stack: Any) -> Any:
    """A CloudFormation stack with this project's outputs and parameters, over the test tables."""
    names = ("PanHashKeyParameterName", "WebhookSecretParameterPrefix", "LedgerName", "ConfigName")
    template = {
        "Parameters": {name: {"Type": "String"} for name in names},
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "LedgerTableName": {"Value": {"Ref": "LedgerName"}},
            "ConfigTableName": {"Value": {"Ref": "ConfigName"}},
        },
    }
    values = (PAN_KEY_PARAM.lstrip("/"), PREFIX, stack.ledger_table, stack.config_table)
    stack.client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in zip(names, values, strict=True)],
    )
    return stack


def certificate(tmp_path: Path) -> tuple[Any, Path]:
    key = new_key()
    path = tmp_path / "issuer-public-key.pem"
    path.write_text(public_pem(key))
    return key, path


def bootstrap(*extra: str) -> int:
    return main(["--stack-name", STACK, "--region", "us-east-1", *extra])


def ssm_value(stack: Any, name: str) -> str:
    return str(stack.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def test_bootstrap_makes_the_stack_callable_by_the_registered_client(deployed, tmp_path, capsys):
    stack = deployed
    stack.client("ssm").delete_parameter(Name=PAN_KEY_PARAM)
    key, public_key = certificate(tmp_path)
    options = ["--config", str(EXAMPLE), "--client", "first-issuer", "--consumer-key", CONSUMER_KEY]
    assert bootstrap(*options, "--public-key", str(public_key)) == 0
    out = capsys.readouterr().out
    assert f"card-hash key {PAN_KEY_PARAM}: made" in out
    assert f"/{PREFIX}/first-issuer: made" in out
    secrets = ssm_value(stack, PAN_KEY_PARAM), ssm_value(stack, f"/{PREFIX}/first-issuer")
    assert all(len(s) == 64 for s in secrets) and secrets[0] not in out and secrets[1] not in out

    url = f"https://{HOST}/redeemers/RANACFIRST0001?redemption_type=PWR"
    event = request_event(
        "GET",
        "/redeemers/RANACFIRST0001",
        authorization=sign("GET", url, None, CONSUMER_KEY, key),
        query="redemption_type=PWR",
        path_parameters={"id": "RANACFIRST0001"},
        host=HOST,
    )
    context, response = through_gateway("RedeemersFunction", event)
    assert context["clientId"] == "first-issuer"
    assert response["statusCode"] == 200 and body(response)["userId"] == "RANACFIRST0001"

    assert bootstrap(*options, "--public-key", str(public_key)) == 0  # again: nothing replaced
    assert "made" not in capsys.readouterr().out
    assert (ssm_value(stack, PAN_KEY_PARAM), ssm_value(stack, f"/{PREFIX}/first-issuer")) == secrets


def test_a_document_with_a_loopback_webhook_is_refused_before_anything_is_written(deployed, tmp_path):
    document = yaml.safe_load(EXAMPLE.read_text())
    document["clients"][0]["webhook"]["url"] = "http://127.0.0.1:3100/auth-notifications"
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(Problem, match="not reachable from AWS"):
        bootstrap("--config", str(path))
    assert not deployed.client("ssm").get_parameters_by_path(Path=f"/{PREFIX}")["Parameters"]


def test_a_webhook_secret_outside_the_stack_prefix_is_refused(deployed, tmp_path):
    document = yaml.safe_load(EXAMPLE.read_text())
    document["clients"][0]["webhook"]["secretParameterName"] = "/rewards/dev/webhooks/first-issuer"
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(Problem, match="outside the stack's prefix /rewards/prod/webhooks/"):
        bootstrap("--config", str(path))


def test_a_key_that_is_not_a_public_key_is_refused(deployed, tmp_path):
    private = tmp_path / "private.pem"
    private.write_bytes(
        new_key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(Problem, match="not a PEM certificate or RSA public key"):
        bootstrap(
            "--config", str(EXAMPLE), "--client", "first-issuer", "--consumer-key", "k", "--public-key", str(private)
        )
