"""Proof by a client nobody here wrote: openapi-python-client generates a Python client from
docs/openapi.yaml during the test run, Mastercard's mastercard-oauth1-signer signs its requests,
and it drives the README's walkthroughs against a local stack of their own: PWR pre- and
post-purchase, every Digital Redemptions type, a credit, a statement credit and a status update.
A generator warning or error fails the test, as an operation the client cannot call would."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from oauth1.oauth import OAuth
from tools.local.keys import CONSUMER_KEY
from tools.local.signing import load_private_key
from tools.local.stack import LocalStack, StackOptions
from tools.make_events import PURCHASE, SEED_REDEMPTIONS
from tools.samtemplate import ROOT

from tests.e2e.conftest import MERCHANT_KEY, eventually, merchant_config

pytestmark = pytest.mark.e2e

PACKAGE = "pwr_dr_client"
GENERATOR_CONFIG = "post_hooks: []\n"  # no formatter run over the generated code
CAROL, CAROL_CARD = "RANACCAROL0001", "5200828282828210"
ALICE, ALICE_CARD = "RANACALICE0001", "5555555555554444"


class MastercardSigner(httpx.Auth):
    """OAuth 1.0a RSA-SHA256 with oauth_body_hash over exactly the URL and body httpx sends."""

    requires_request_body = True

    def __init__(self, consumer_key: str, signing_key: Any) -> None:
        self.consumer_key = consumer_key
        self.signing_key = signing_key

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        payload = request.content.decode() if request.content else ""
        request.headers["Authorization"] = OAuth.get_authorization_header(
            str(request.url), request.method, payload, self.consumer_key, self.signing_key
        )
        yield request


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    where = tmp_path_factory.mktemp("generated")
    config = where / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    command = [
        *(str(Path(sys.executable).with_name("openapi-python-client")), "generate"),
        *("--path", str(ROOT / "docs" / "openapi.yaml"), "--meta", "none", "--config", str(config)),
        *("--output-path", str(where / PACKAGE)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "Unable" not in output, output
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state_dir = tmp_path_factory.mktemp("generated-client-stack")
    options = StackOptions(
        port=0,
        moto_port=0,
        webhook_port=None,
        prefix=f"gen-{uuid.uuid4().hex[:8]}",
        state_dir=state_dir,
        config=merchant_config(state_dir),
    )
    with LocalStack(options) as local:
        yield local


@dataclass
class Clients:
    package: ModuleType
    issuer: Any
    merchant: Any

    def call(self, module: str, client: Any, **arguments: Any) -> Any:
        """One operation by its generated module name; the parsed answer of a 200, else fail."""
        group, name = module.split(".")
        operation = importlib.import_module(f"{self.package.__name__}.api.{group}.{name}")
        response = operation.sync_detailed(client=client, **arguments)
        assert response.status_code == 200, (module, response.status_code, response.content)
        return response.parsed

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{self.package.__name__}.models"), name)


@pytest.fixture(scope="module")
def clients(generated: ModuleType, stack: LocalStack) -> Clients:
    assert stack.private_key is not None
    key = load_private_key(stack.private_key)

    def client(consumer_key: str) -> Any:
        auth = MastercardSigner(consumer_key, key)
        return generated.Client(base_url=stack.url, httpx_args={"auth": auth}, raise_on_unexpected_status=True)

    return Clients(generated, client(CONSUMER_KEY), client(MERCHANT_KEY))


def today() -> date:
    return datetime.now(UTC).date()


def listed(c: Clients, user: str, category: str) -> list[Any]:
    return list(
        c.call(
            "pay_with_rewards.get_authorizations_authorizations_get",
            c.issuer,
            user_id=user,
            from_date=today(),
            to_date=today(),
            include_reprocessed=True,
            pwr_filter_categories=category,
        )
    )


def purchase(card: str, amount: str, **fields: str) -> dict[str, Any]:
    now = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    return {**PURCHASE, "accountId": card, "cardholderBillingAmount": amount, "transactionDateAndTime": now, **fields}


def preferences(c: Clients, account: str, frequency: str) -> Any:
    body = c.model("SetPreferencesRequest").from_dict({"preferences": {"redemptionFrequency": frequency}})
    return c.call(
        "pay_with_rewards.set_preferences_redeemers_id_preferences_put",
        c.issuer,
        id=account,
        body=body,
        redemption_type="PWR",
    )


def balance(c: Clients, account: str) -> str:
    kind = c.model("GetRedeemerRedeemersIdGetRedemptionType")
    profile = c.call("redeemers.get_redeemer_redeemers_id_get", c.issuer, id=account, redemption_type=kind("PWR"))
    return str(profile.to_dict()["householdInfo"]["pointBalance"])


def redeem(c: Clients, client: Any, body: dict[str, Any], **arguments: Any) -> dict[str, Any]:
    model = (
        c.model(f"{body['redemptionType'].title().replace('_', '')}Redemption")
        if body["redemptionType"] != "STATEMENT_CREDIT"
        else c.model("StatementCredit")
    )
    answer = c.call(
        "digital_redemptions.post_redemption_redemptions_post", client, body=model.from_dict(body), **arguments
    )
    return dict(answer.to_dict())


# -- README: Pre-purchase ------------------------------------------------------------------------
def test_pre_purchase_pwr_on_then_the_networks_copy_is_redeemed(clients: Clients, stack: LocalStack):
    before = int(balance(clients, CAROL))
    assert preferences(clients, CAROL, "SNGL").to_dict()["redemptionFrequency"] == "SNGL"
    message = {"origin": "NETWORK", "externalId": "NETGEN000001", "authorization": purchase(CAROL_CARD, "100.00")}
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=stack.queues["AuthorizationQueue"], MessageBody=json.dumps(message))
    [redeemed] = eventually(
        lambda: [a for a in listed(clients, CAROL, "R") if a.to_dict().get("externalId") == "NETGEN000001"]
    )
    answer = redeemed.to_dict()
    assert (answer["responseReasonId"], answer["pointsRedeemed"], answer["partiallyRedeemed"]) == ("60", "7000", True)
    after = clients.call(
        "pay_with_rewards.get_preferences_redeemers_id_preferences_get", clients.issuer, id=CAROL, redemption_type="PWR"
    )
    assert after.to_dict()["redemptionFrequency"] == "OFF"
    assert before == 7650 and balance(clients, CAROL) == "650"


# -- README: Post-purchase -----------------------------------------------------------------------
def test_post_purchase_eligible_then_reprocessed(clients: Clients):
    preferences(clients, ALICE, "OFF")
    before = int(balance(clients, ALICE))
    request = clients.model("AuthorizationRequest").from_dict(
        purchase(ALICE_CARD, "25.00", externalId="EXTGEN000001", queueTransaction="N")
    )
    [posted] = clients.call("pay_with_rewards.post_authorization_authorizations_post", clients.issuer, body=request)
    assert posted.to_dict()["responseReasonId"] == "59"
    authorization_id = posted.to_dict()["id"]
    assert authorization_id in [a.to_dict()["id"] for a in listed(clients, ALICE, "E")]
    body = clients.model("ReprocessRequest").from_dict(
        {"processedBy": "APPUSER", "accountId": ALICE, "accountIdType": "RANAC"}
    )
    reprocessed = clients.call(
        "pay_with_rewards.reprocess_authorizations_id_reprocess_post", clients.issuer, id=authorization_id, body=body
    )
    assert reprocessed.to_dict()["reprocessCode"] == "60"
    [redeemed] = [a.to_dict() for a in listed(clients, ALICE, "R") if a.to_dict()["id"] == authorization_id]
    assert redeemed["pointsRedeemed"] == "2500"
    assert balance(clients, ALICE) == str(before - 2500)


# -- README: Digital Redemptions checkout ---------------------------------------------------------
def test_checkout_balance_redeem_retry_credit_history_and_status(clients: Clients):
    kind = clients.model("GetRedeemerRedeemersIdGetRedemptionType")
    profile = clients.call(
        "redeemers.get_redeemer_redeemers_id_get",
        clients.issuer,
        id=ALICE,
        redemption_type=kind("DR"),
        redemption_item_id="19068",
        includes="preferences",
    ).to_dict()
    assert profile["redemptionItem"]["redemptionItemId"] == "19068" and "preferences" in profile
    before = int(balance(clients, ALICE))
    order = {
        "redemptionType": "MERCHANDISE",
        "userId": ALICE,
        "userIdType": "RANAC",
        "externalId": "ORDER-GEN-1",
        "items": [{"paymentOption": "POINTS_ONLY", "cashEquivalent": "25", "redemptionItemId": "19068"}],
    }
    first = redeem(clients, clients.issuer, order, idempotency_key="order-gen-1")
    assert first == redeem(clients, clients.issuer, order, idempotency_key="order-gen-1")  # a retry: same answer
    assert balance(clients, ALICE) == str(before - 2033)
    redemption_id = str(first["items"][0]["redemptionId"])

    credit = clients.model("CreditRequest").from_dict({"pointsCredited": 1000, "description": "one card returned"})
    credited = clients.call(
        "digital_redemptions.post_credit_redemptions_id_credits_post", clients.issuer, id=redemption_id, body=credit
    ).to_dict()
    assert (credited["remainingCreditablePoints"], credited["pointBalance"]) == (1033, before - 2033 + 1000)

    history = clients.call(
        "digital_redemptions.get_redemptions_redemptions_get",
        clients.issuer,
        user_id=ALICE,
        from_date=today(),
        to_date=today(),
    ).to_dict()
    mine = [e for e in history["redemptions"] if e["redemptionId"] == int(redemption_id)]
    assert [e["entryType"] for e in mine] == ["CREDIT", "REDEMPTION"]

    status = clients.model("UpdateRedemptionStatusRequest")
    for report in ({"statusCode": "O"}, {"statusCode": "B", "backOrderDate": "2026-12-15"}, {"statusCode": "S"}):
        answer = clients.call(
            "digital_redemptions.put_status_redemptions_id_status_put",
            clients.issuer,
            id=redemption_id,
            body=status.from_dict(report),
        ).to_dict()
        assert answer["statusCode"] == report["statusCode"] and answer["redemptionId"] == int(redemption_id)
    assert answer.get("backOrderDate") is None


@pytest.mark.parametrize("sample", sorted(SEED_REDEMPTIONS))
def test_every_seed_redemption_through_the_generated_models(clients: Clients, sample: str):
    """CASHBACK, MERCHANDISE (catalog and external item) and TRAVEL as the documentation writes them,
    sent by the merchant (the travel cardholder's program is only the merchant's)."""
    body = json.loads(SEED_REDEMPTIONS[sample])
    answer = redeem(clients, clients.merchant, body)
    assert answer["items"] and all(isinstance(i["redemptionId"], int) for i in answer["items"])


def test_statement_credit_on_an_eligible_purchase(clients: Clients):
    """PWR integration model 2: the issuer redeemed in its own point bank and records it."""
    request = clients.model("AuthorizationRequest").from_dict(
        purchase(CAROL_CARD, "10.75", externalId="EXTGEN000002", queueTransaction="N")
    )
    [posted] = clients.call("pay_with_rewards.post_authorization_authorizations_post", clients.issuer, body=request)
    assert posted.to_dict()["responseReasonId"] == "59"  # PWR is off again after the pre-purchase walkthrough
    credit = {
        "redemptionType": "STATEMENT_CREDIT",
        "userId": CAROL,
        "userIdType": "RANAC",
        "paymentAuthId": posted.to_dict()["id"],
        "externalId": "EXTREDGEN001",
        "pointsRedeemed": 1075,
        "cashBackAmount": 10.75,
        "reasonCode": "60",
        "description": "PWR rebate",
    }
    answer = redeem(clients, clients.issuer, credit)
    assert 1 <= len(answer["id"]) <= 10
    [recorded] = [a.to_dict() for a in listed(clients, CAROL, "R") if a.to_dict()["id"] == posted.to_dict()["id"]]
    assert recorded["cashBackAmount"] == 10.75
