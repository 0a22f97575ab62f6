"""The seeds' scenarios over real HTTP against the local stack (signed requests, queue, poller, DLQ)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tools.local.stack import LocalStack
from tools.make_events import PURCHASE

from tests.e2e.conftest import Api, eventually

pytestmark = pytest.mark.e2e

CAROL, CAROL_CARD = "RANACCAROL0001", "5200828282828210"
ALICE, BOB_CARD = "RANACALICE0001", "5105105105105100"
PWR = {"redemption_type": "PWR"}


def purchase(card: str, amount: str) -> dict[str, Any]:
    now = datetime.now(UTC).astimezone()
    return {**PURCHASE, "accountId": card, "cardholderBillingAmount": amount, "transactionDateAndTime": now.isoformat()}


def network_message(card: str, amount: str) -> tuple[str, str]:
    external_id = f"NET{uuid.uuid4().hex[:12].upper()}"
    body = {"origin": "NETWORK", "externalId": external_id, "authorization": purchase(card, amount)}
    return external_id, json.dumps(body)


def history(api: Api, user: str, categories: str | None = None) -> list[dict[str, Any]]:
    today = date.today().isoformat()
    query = {"user_id": user, "from_date": today, "to_date": today, "include_reprocessed": "true"}
    if categories:
        query["pwr_filter_categories"] = categories
    reply = api("GET", "/authorizations", query=query)
    assert reply.status == 200, reply.text
    return list(reply.json())


def test_pre_purchase_network_authorization_redeems_and_single_turns_pwr_off(api: Api, local_stack: LocalStack):
    on = api("PUT", f"/redeemers/{CAROL}/preferences", {"preferences": {"redemptionFrequency": "SNGL"}}, PWR)
    assert on.status == 200, on.text
    assert on.json()["redemptionFrequency"] == "SNGL"

    _, message = network_message(CAROL_CARD, "100.00")
    local_stack.client("sqs").send_message(QueueUrl=local_stack.queues["AuthorizationQueue"], MessageBody=message)

    [redeemed] = eventually(lambda: history(api, CAROL, "R"))
    # Seed: balance 7,650, $100 at $0.01, $10 increments -> 7,000 points for $70, 650 left.
    assert redeemed["responseReasonId"] == "60"
    assert redeemed["pointsRedeemed"] == "7000"
    assert redeemed["partiallyRedeemed"] is True
    preferences = api("GET", f"/redeemers/{CAROL}/preferences", query=PWR).json()
    assert preferences["redemptionFrequency"] == "OFF"
    profile = api("GET", f"/redeemers/{CAROL}", query=PWR).json()
    assert profile["householdInfo"]["pointBalance"] == "650"


def test_post_purchase_eligible_authorization_is_listed_then_reprocessed(api: Api):
    off = api("PUT", f"/redeemers/{ALICE}/preferences", {"preferences": {"redemptionFrequency": "OFF"}}, PWR)
    assert off.status == 200, off.text
    external_id = f"EXT{uuid.uuid4().hex[:12].upper()}"
    body = {**purchase("5555555555554444", "25.00"), "externalId": external_id, "queueTransaction": "N"}
    posted = api("POST", "/authorizations", body)
    assert posted.status == 200, posted.text
    [stored] = posted.json()
    assert stored["responseReasonId"] == "59"

    eligible = [a for a in history(api, ALICE, "E") if a["id"] == stored["id"]]
    assert eligible, "the eligible purchase is listed with pwr_filter_categories=E"
    assert not [a for a in history(api, ALICE, "R") if a["id"] == stored["id"]]

    request = {"processedBy": "APPUSER", "accountId": ALICE, "accountIdType": "RANAC"}
    reprocessed = api("POST", f"/authorizations/{stored['id']}/reprocess", request)
    assert reprocessed.status == 200, reprocessed.text
    assert reprocessed.json()["reprocessCode"] == "60"

    [redeemed] = [a for a in history(api, ALICE, "R") if a["id"] == stored["id"]]
    assert redeemed["pointsRedeemed"] == "2500"
    assert not [a for a in history(api, ALICE, "E") if a["id"] == stored["id"]]


def test_poison_message_reaches_the_dead_letter_queue_while_its_batch_mates_succeed(api: Api, local_stack: LocalStack):
    sqs = local_stack.client("sqs")
    first, second = network_message(BOB_CARD, "11.00"), network_message(BOB_CARD, "12.00")
    entries = [first[1], "{not json", second[1]]
    sqs.send_message_batch(
        QueueUrl=local_stack.queues["AuthorizationQueue"],
        Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(entries)],
    )

    def dead_letters() -> list[dict[str, Any]]:
        dlq = local_stack.queues["AuthorizationDeadLetterQueue"]
        return list(sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []))

    [dead] = eventually(dead_letters, timeout=15)
    assert dead["Body"] == "{not json"
    amounts = sorted(a["de006CardholderBillingAmount"] for a in history(api, "RANACBOB00001", "R"))
    assert amounts == ["11.00", "12.00"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=local_stack.queues["AuthorizationQueue"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
