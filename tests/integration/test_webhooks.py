"""The Auth Notifier end to end on moto: authorization -> stream -> notifier -> delivery queue ->
sender -> a real HTTP receiver on 127.0.0.1, signed, retried with back-off, dead-lettered."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from tools.local.streams import captured_emails
from tools.local.webhook_receiver import LOCAL_WEBHOOK_SECRET, WebhookReceiver

from rewards.notifications.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from tests.integration.test_notifier import CARD, CLIENT, ERIN, PROGRAM, Channels, make_channels
from tests.support import OVERRIDES, Stack, invoke

MAX_RECEIVES = 6  # WebhookDeliveryQueue maxReceiveCount


def sqs_event(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
        ]
    }


class Attempts:
    """Runs the sender on the queued delivery as the event source mapping does, and lets time pass."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels
        self.sqs = channels.stack.client("sqs")
        self.last_handle: str | None = None

    def run(self) -> dict[str, Any] | None:
        """One receive + invoke; None when no delivery is visible."""
        [message, *_] = self.channels.webhook_messages() or [None]
        if message is None:
            return None
        self.last_handle = message["ReceiptHandle"]
        queue_arn = self.channels.stack.resolver.arn("WebhookDeliveryQueue")
        result = dict(invoke("WebhookSenderFunction", sqs_event(message, queue_arn)))
        if not result["batchItemFailures"]:
            self.sqs.delete_message(QueueUrl=self.channels.webhook_queue, ReceiptHandle=message["ReceiptHandle"])
        return result

    def back_off_over(self) -> None:
        """The back-off the sender set has passed (without sleeping through it)."""
        assert self.last_handle is not None
        self.sqs.change_message_visibility(
            QueueUrl=self.channels.webhook_queue, ReceiptHandle=self.last_handle, VisibilityTimeout=0
        )


@pytest.fixture
def channels(stack: Stack) -> Channels:
    return make_channels(stack)


@pytest.fixture
def receiver() -> Any:
    with WebhookReceiver(LOCAL_WEBHOOK_SECRET.encode(), fail_first=2) as running:
        yield running


def test_receiver_failing_twice_then_succeeding_gets_one_signed_delivery(channels, receiver, monkeypatch):
    monkeypatch.setitem(OVERRIDES, "WEBHOOK_RETRY_BASE_SECONDS", "30")
    channels.load(webhook_url=receiver.url)
    result = channels.authorize(ERIN, "20.00", "EXTHOOK001")
    assert channels.notify(channels.new_outbox_records()) == {"batchItemFailures": []}

    attempts = Attempts(channels)
    assert attempts.run()["batchItemFailures"]  # 503
    assert attempts.run() is None  # backed off: invisible for 30 s, not retried at once
    attempts.back_off_over()
    assert attempts.run()["batchItemFailures"]  # 503 again
    attempts.back_off_over()
    assert attempts.run() == {"batchItemFailures": []}
    assert attempts.run() is None  # deleted: nothing left to send

    calls = receiver.wait_for(3)
    assert [c.status for c in calls] == [503, 503, 204]
    delivered = calls[-1]
    assert delivered.signature_valid
    expected = signature(LOCAL_WEBHOOK_SECRET.encode(), delivered.headers[TIMESTAMP_HEADER], delivered.body)
    assert delivered.headers[SIGNATURE_HEADER] == expected
    assert abs(int(delivered.headers[TIMESTAMP_HEADER]) - time.time()) < 60
    posted = delivered.json()
    assert posted["id"] == result["id"] and posted["programId"] == PROGRAM
    assert posted["authRewardsServiceType"] == "PWR"
    assert posted["responseReasonId"] == "60" and posted["responseReasonDesc"] == "Redeemed"
    assert posted["cashBackAmount"] == 20 and posted["pointsRedeemed"] == "2000"
    assert CARD not in delivered.body.decode()
    assert len({c.body for c in calls}) == 1  # every attempt carries the same body
    assert len(captured_emails()) == 1  # the same redemption also produced the email


def test_redelivered_queue_message_after_success_posts_nothing_more(channels, monkeypatch):
    with WebhookReceiver(LOCAL_WEBHOOK_SECRET.encode()) as receiver:
        channels.load(webhook_url=receiver.url)
        channels.authorize(ERIN, "20.00", "EXTHOOK002")
        channels.notify(channels.new_outbox_records())
        [message] = channels.webhook_messages()
        event = sqs_event(message, channels.stack.resolver.arn("WebhookDeliveryQueue"))
        assert invoke("WebhookSenderFunction", event) == {"batchItemFailures": []}
        assert invoke("WebhookSenderFunction", event) == {"batchItemFailures": []}  # e.g. the delete was lost
        assert len(receiver.wait_for(2, timeout=0.5)) == 1


def test_always_failing_receiver_is_dead_lettered_and_authorizations_go_on(channels, monkeypatch):
    monkeypatch.setitem(OVERRIDES, "WEBHOOK_RETRY_BASE_SECONDS", "0")
    with WebhookReceiver(LOCAL_WEBHOOK_SECRET.encode(), always_fail=True) as receiver:
        channels.load(webhook_url=receiver.url)
        first = channels.authorize(ERIN, "20.00", "EXTDEAD001")
        assert channels.notify(channels.new_outbox_records()) == {"batchItemFailures": []}
        attempts = Attempts(channels)
        for _ in range(MAX_RECEIVES):
            assert attempts.run()["batchItemFailures"]
        assert attempts.run() is None  # the next receive moves it to the dead-letter queue
        assert len(receiver.received) == MAX_RECEIVES

        sqs = channels.stack.client("sqs")
        dead = sqs.receive_message(QueueUrl=channels.stack.queues["WebhookDeliveryDeadLetterQueue"])["Messages"]
        assert json.loads(dead[0]["Body"])["deliveryId"].endswith(f":{CLIENT}")

        # processing never waited for the client, and goes on while its endpoint is down
        assert first["responseReasonId"] == "60"
        assert channels.authorize(ERIN, "10.00", "EXTDEAD002")["responseReasonId"] == "60"


def test_unreachable_url_fails_fast_and_is_retried(channels, monkeypatch):
    monkeypatch.setitem(OVERRIDES, "WEBHOOK_RETRY_BASE_SECONDS", "0")
    channels.load(webhook_url="http://127.0.0.1:9/auth-notifications")  # nothing listens on port 9
    channels.authorize(ERIN, "20.00", "EXTDOWN001")
    channels.notify(channels.new_outbox_records())
    started = time.monotonic()
    assert Attempts(channels).run()["batchItemFailures"]
    assert time.monotonic() - started < 5
