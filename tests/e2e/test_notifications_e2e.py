"""Notifications through the local stack: a redemption over HTTP reaches the cardholder's email
(rendered into the emails folder), the SNS topic and the client's webhook (signed); and the pollers
that carry them (stream positions across moto's rollbacks, stream retries, the sender's back-off)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from tools.local.pollers import STREAM_RETRIES, SqsPoller, StreamPoller
from tools.local.stack import LocalStack
from tools.local.webhook_receiver import LOCAL_WEBHOOK_SECRET, ReceivedCall
from tools.make_events import PURCHASE
from tools.samtemplate import ACCOUNT, REGION

from tests.e2e.conftest import Api, eventually

pytestmark = pytest.mark.e2e

ALICE, ALICE_CARD = "RANACALICE0001", "5555555555554444"
MERCHANT = "E2E NOTIFY SHOP"


def header(call: ReceivedCall, name: str) -> str:
    return next(value for key, value in call.headers.items() if key.lower() == name.lower())


def events_queue(stack: LocalStack) -> str:
    """A queue subscribed to EventsTopic (raw delivery), as a subscriber would have."""
    assert stack.resolver is not None
    sqs, sns = stack.client("sqs"), stack.client("sns")
    url = sqs.create_queue(QueueName=f"e2e-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=stack.resolver.arn("EventsTopic"),
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    return str(url)


def test_a_redemption_sends_the_email_the_event_and_the_signed_webhook(api: Api, local_stack: LocalStack):
    assert local_stack.webhook is not None, "the e2e stack runs the webhook receiver"
    sqs = local_stack.client("sqs")
    queue = events_queue(local_stack)
    preferences = {"redemptionFrequency": "SNGL", "receiveEmailSw": True, "emailAddress": "alice@example.com"}
    on = api("PUT", f"/redeemers/{ALICE}/preferences", {"preferences": preferences}, {"redemption_type": "PWR"})
    assert on.status == 200, on.text

    purchase = {
        **PURCHASE,
        "accountId": ALICE_CARD,
        "cardholderBillingAmount": "20.00",
        "transactionAmount": "20.00",
        "transactionCurrencyCode": "USD",
        "merchantCountry": "USA",
        "cardAcceptorNameAndLocation": MERCHANT,
        "transactionDateAndTime": datetime.now(UTC).astimezone().isoformat(),
        "externalId": f"EXT{uuid.uuid4().hex[:12].upper()}",
        "queueTransaction": "N",
    }
    posted = api("POST", "/authorizations", purchase)
    assert posted.status == 200, posted.text
    [result] = posted.json()
    assert result["responseReasonId"] == "60"
    authorization_id = result["id"]

    # The webhook: this authorization, signed with the client's secret, acknowledged.
    def webhook_call() -> ReceivedCall | None:
        assert local_stack.webhook is not None
        return next((c for c in local_stack.webhook.received if c.json().get("id") == authorization_id), None)

    call = eventually(webhook_call)
    timestamp = header(call, "X-Rewards-Timestamp")
    expected = hmac.new(LOCAL_WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + call.body, hashlib.sha256)
    assert hmac.compare_digest(header(call, "X-Rewards-Signature"), expected.hexdigest())
    assert call.signature_valid and call.status == 204
    assert call.json()["pointsRedeemed"] == "2000"
    assert call.json()["programId"] == "PWRDEMO"

    # The SNS event, with the attributes subscribers filter on.
    def published() -> dict[str, Any] | None:
        reply = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        for message in reply.get("Messages", []):
            if json.loads(message["Body"])["data"].get("authorizationId") == authorization_id:
                return dict(message)
        return None

    message = eventually(published)
    event = json.loads(message["Body"])
    assert event["eventType"] == "pwr.authorization.processed"
    assert event["data"]["pointsRedeemed"] == "2000"
    assert event["data"]["lastFour"] == "4444"
    assert message["MessageAttributes"]["eventType"]["StringValue"] == "pwr.authorization.processed"
    assert message["MessageAttributes"]["programId"]["StringValue"] == "PWRDEMO"
    assert ALICE_CARD not in message["Body"]

    # The email, rendered into the folder a person opens, and listed in its index.
    def email_file() -> str | None:
        for path in sorted(local_stack.emails_dir.glob("0*.html")):
            text = path.read_text()
            if authorization_id in text:
                return path.name
        return None

    name = eventually(email_file)
    rendered = (local_stack.emails_dir / name).read_text()
    assert "successfulRedemption" in name
    assert MERCHANT in rendered
    assert "2,000 Demo Points" in rendered and "20.00 USD" in rendered
    assert "To: alice@example.com" in rendered
    assert ALICE_CARD not in rendered and "4444" in rendered
    assert f"href='{name}'" in (local_stack.emails_dir / "index.html").read_text()


# ------------------------------------------------------------------------------- the pollers
class RecordingHost:
    """Stands in for FunctionHost: records each event and answers with the next scripted reply."""

    def __init__(self, *replies: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.replies = list(replies)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        self.events.append(event)
        reply = self.replies.pop(0) if self.replies else None
        return reply(event) if callable(reply) else reply


def keys(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]


@pytest.fixture
def stream_table(local_stack: LocalStack) -> tuple[Any, str]:
    """A table of its own (pk/sk, NEW_IMAGE stream) on the stack's moto server, and its stream ARN."""
    dynamodb = local_stack.client("dynamodb")
    name = f"e2e-stream-{uuid.uuid4().hex[:8]}"
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    return dynamodb, table["LatestStreamArn"]


def put(dynamodb: Any, stream_arn: str, pk: str) -> None:
    table = stream_arn.split("/")[1]
    dynamodb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "EVENT"}})


OUTBOX_ONLY = {
    "StartingPosition": "TRIM_HORIZON",
    "BatchSize": 25,
    "FunctionResponseTypes": ["ReportBatchItemFailures"],
    "FilterCriteria": {
        "Filters": [{"Pattern": json.dumps({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "EVENT#"}]}}}})}]
    },
}


def test_stream_poller_sees_new_writes_after_moto_rolls_back_a_transaction(local_stack, stream_table):
    dynamodb, stream_arn = stream_table
    host = RecordingHost()
    poller = StreamPoller(host, local_stack.client("dynamodbstreams"), "Notifier", stream_arn, OUTBOX_ONLY)  # type: ignore[arg-type]
    put(dynamodb, stream_arn, "EVENT#1")
    put(dynamodb, stream_arn, "ACCT#1")  # filtered out
    poller.poll_once()
    assert [keys(e) for e in host.events] == [["EVENT#1"]]

    table = stream_arn.split("/")[1]
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "EVENT#cancelled"}, "sk": {"S": "EVENT"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "EVENT#1"}, "sk": {"S": "EVENT"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    put(dynamodb, stream_arn, "EVENT#2")
    poller.poll_once()
    poller.poll_once()
    assert [keys(e) for e in host.events] == [["EVENT#1"], ["EVENT#2"]]


def test_stream_poller_retries_from_the_first_failure_then_skips_after_its_retries(local_stack, stream_table):
    dynamodb, stream_arn = stream_table
    for pk in ("EVENT#a", "EVENT#b", "EVENT#c"):
        put(dynamodb, stream_arn, pk)

    def fail(pk: str) -> Any:
        def reply(event: dict[str, Any]) -> dict[str, Any]:
            [record] = [r for r in event["Records"] if r["dynamodb"]["Keys"]["pk"]["S"] == pk]
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}

        return reply

    host = RecordingHost(fail("EVENT#b"), None)
    poller = StreamPoller(host, local_stack.client("dynamodbstreams"), "Notifier", stream_arn, OUTBOX_ONLY)  # type: ignore[arg-type]
    poller.poll_once()
    assert [keys(e) for e in host.events] == [["EVENT#a", "EVENT#b", "EVENT#c"], ["EVENT#b", "EVENT#c"]]

    put(dynamodb, stream_arn, "EVENT#d")
    always = RecordingHost(*[fail("EVENT#d")] * 10)
    poller.host = always  # type: ignore[assignment]
    poller.poll_once()
    poller.poll_once()  # skipped: not delivered again
    assert [keys(e) for e in always.events] == [["EVENT#d"]] * (STREAM_RETRIES + 1)


@pytest.mark.parametrize("function_backs_off", [True, False])
def test_sqs_poller_keeps_a_back_off_the_function_set(local_stack: LocalStack, function_backs_off: bool):
    sqs = local_stack.client("sqs")
    name = f"e2e-backoff-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "240"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")

    def failing(event: dict[str, Any]) -> dict[str, Any]:
        [record] = event["Records"]
        if function_backs_off:  # what the webhook sender does before reporting the failure
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=30)
        return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}

    props = {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]}
    poller = SqsPoller(RecordingHost(failing), sqs, "Sender", url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}", props)  # type: ignore[arg-type]
    poller.poll_once()
    time.sleep(0.1)
    visible = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(visible) == (0 if function_backs_off else 1)
