"""The authorizer, the notifier and the webhook sender run on the events in events/ as written
(what `sam local invoke -e` gives them)."""

from __future__ import annotations

import json

from boto3.dynamodb.types import TypeDeserializer
from tools.local.webhook_receiver import LOCAL_WEBHOOK_SECRET, WebhookReceiver, register_webhook_secrets
from tools.make_events import OUTBOX_EVENT_ID

from tests.support import invoke, load_event

_deserialize = TypeDeserializer().deserialize


def test_an_unsigned_request_reaches_the_authorizer_and_is_passed_on_as_denied(demo):
    answer = invoke("AuthorizerFunction", load_event("authorizer-unsigned-request"))
    assert answer == {"isAuthorized": True, "context": {"denied": "MISSING_SIGNATURE"}}


def test_a_signature_older_than_the_window_is_passed_on_as_denied(demo):
    answer = invoke("AuthorizerFunction", load_event("authorizer-stale-signature"))
    assert answer == {"isAuthorized": True, "context": {"denied": "TIMESTAMP_OUT_OF_WINDOW"}}


def test_the_notifier_publishes_the_committed_outbox_event(demo):
    from tools.local.streams import published_events

    event = load_event("dynamodb-ledger-outbox-event")
    image = event["Records"][0]["dynamodb"]["NewImage"]
    topic = demo.topics["EventsTopic"]
    assert invoke("NotifierFunction", event) == {"batchItemFailures": []}
    assert published_events(topic) == []  # not committed (yet): nobody is told

    demo.client("dynamodb").put_item(TableName=demo.ledger_table, Item=image)
    assert invoke("NotifierFunction", event) == {"batchItemFailures": []}
    [message] = published_events(topic)
    assert (message["eventId"], message["eventType"]) == (OUTBOX_EVENT_ID, "dr.redemption.created")
    assert message["data"]["redemptionIds"] == [int(_deserialize(image["rid"]))]
    assert message["data"]["pointBalance"] == "9967" and message["data"]["externalId"] == "ORDER-1001"


def test_the_webhook_sender_posts_the_queued_delivery_signed(demo):
    event = load_event("sqs-webhook-delivery")
    delivery = json.loads(event["Records"][0]["body"])
    register_webhook_secrets(demo.client("ssm"), [delivery["secretParameterName"]])
    with WebhookReceiver(LOCAL_WEBHOOK_SECRET.encode()) as receiver:
        event["Records"][0]["body"] = json.dumps({**delivery, "url": receiver.url})  # the receiver's free port
        assert invoke("WebhookSenderFunction", event) == {"batchItemFailures": []}
        [call] = receiver.wait_for(1)
    assert call.signature_valid and call.body.decode() == delivery["body"]
