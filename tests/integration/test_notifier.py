"""The notifier on moto: committed outbox items, read from the ledger table's real stream, become
one SNS event, the cardholder's email/SMS and one queued Auth Notifier delivery each."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends
from tools import provision
from tools.apigw import http_event, sqs_event
from tools.local.streams import (
    captured_emails,
    captured_sms,
    ledger_stream_arn,
    outbox_records,
    poll_stream_once,
    published_events,
)
from tools.local.webhook_receiver import register_webhook_secrets
from tools.make_events import PURCHASE

from rewards.adapters.dynamo import from_item
from tests.support import Stack, body, invoke, load_config

CLIENT = "notify-issuer"
PROGRAM = "NOTIFY"
SECRET_PARAM = "/rewards/test/webhooks/notify-issuer"
CARD = "5105105105105100"
ERIN, FRED, GINA = "RANACERIN0001", "RANACFRED0001", "RANACGINA0001"


def config_text(
    webhook_url: str = "http://127.0.0.1:9/auth-notifications",
    emails: str = "{successfulRedemption: true, insufficientBalance: true, belowProgramThreshold: true}",
) -> str:
    return f"""
programs:
  - programId: {PROGRAM}
    programName: Notify Rewards
    pointsName: Notify Points
    currencyCode: USD
    filters: {{minPurchaseAmount: "5.00"}}
    baseConversion: {{tiers: [{{fromAmount: "0", costPerPoint: "0.01"}}]}}
    redemptionMinimumCash: "1.00"
    emails: {emails}
clients:
  - clientId: {CLIENT}
    name: Notify Issuer
    programIds: [{PROGRAM}]
    webhook: {{url: "{webhook_url}", secretParameterName: {SECRET_PARAM}}}
users:
  - userId: erin
    accounts:
      - accountId: {ERIN}
        cardNumber: "{CARD}"
        programId: {PROGRAM}
        openingBalance: 5000
        preferences:
          redemptionFrequency: MULT
          receiveEmailSw: true
          emailAddress: erin@example.com
          receiveSMSSw: true
          smsNumber: "+15555550123"
  - userId: fred
    accounts:
      - accountId: {FRED}
        cardNumber: "4111111111111111"
        programId: {PROGRAM}
        openingBalance: 5000
        preferences: {{redemptionFrequency: MULT, receiveEmailSw: false, emailAddress: fred@example.com}}
  - userId: gina
    accounts:
      - accountId: {GINA}
        cardNumber: "4012888888881881"
        programId: {PROGRAM}
        openingBalance: 5000
        preferences: {{redemptionFrequency: "OFF", receiveEmailSw: true, emailAddress: gina@example.com}}
"""


def purchase(account: str, amount: str) -> dict[str, str]:
    """The sample purchase of events/, by RANAC, for ``amount`` USD."""
    return {
        **PURCHASE,
        "accountId": account,
        "accountIdType": "RANAC",
        "cardholderBillingAmount": amount,
        "transactionAmount": amount,
        "transactionCurrencyCode": "USD",
    }


class Channels:
    """The stack with this module's configuration, SES identities/templates and the webhook secret."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.positions: dict[str, str | None] = {}
        self.stream_arn = ledger_stream_arn(stack.client("dynamodb"), stack.ledger_table)

    def load(self, **kwargs: str) -> None:
        load_config(self.stack, text=config_text(**kwargs))

    @property
    def topic_arn(self) -> str:
        return self.stack.topics["EventsTopic"]

    @property
    def webhook_queue(self) -> str:
        return self.stack.queues["WebhookDeliveryQueue"]

    def authorize(self, account: str, amount: str, external_id: str, client: str = CLIENT) -> dict[str, Any]:
        request = {**purchase(account, amount), "externalId": external_id, "queueTransaction": "N"}
        authorizer = {"clientId": client, "programIds": PROGRAM, "role": "ISSUER"}
        response = invoke(
            "AuthorizationsFunction", http_event("POST", "/authorizations", body=request, authorizer=authorizer)
        )
        assert response["statusCode"] == 200, response
        [result] = body(response)
        return dict(result)

    def new_outbox_records(self) -> list[dict[str, Any]]:
        # botocore now derives an account-based streams endpoint from the ARN, which moto 5.2.5 does
        # not recognise: name the classic endpoint (a server-mode client names moto's URL anyway).
        streams = boto3.client(
            "dynamodbstreams", region_name="us-east-1", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com"
        )
        records, self.positions = poll_stream_once(streams, self.stream_arn, self.positions)
        return outbox_records(records)

    def notify(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(invoke("NotifierFunction", {"Records": records}))

    def webhook_messages(self) -> list[dict[str, Any]]:
        sqs = self.stack.client("sqs")
        response = sqs.receive_message(
            QueueUrl=self.webhook_queue, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        )
        return list(response.get("Messages", []))

    def events(self) -> list[dict[str, Any]]:
        return published_events(self.topic_arn)


def make_channels(stack: Stack) -> Channels:
    ses = stack.client("ses")
    provision.create_email_identities(ses, stack.resolver)
    provision.create_email_templates(ses, stack.resolver)
    register_webhook_secrets(stack.client("ssm"), [SECRET_PARAM])
    found = Channels(stack)
    found.load()
    return found


@pytest.fixture
def channels(stack: Stack) -> Channels:
    return make_channels(stack)


# -- emails, rendered with their data ------------------------------------------------------------
def test_successful_redemption_email_shows_amount_points_merchant_and_last_four_only(channels):
    result = channels.authorize(ERIN, "20.00", "EXTOK0001")
    assert result["responseReasonId"] == "60"
    records = channels.new_outbox_records()
    assert len(records) == 1
    assert channels.notify(records) == {"batchItemFailures": []}

    [mail] = captured_emails()
    assert mail.to == ["erin@example.com"] and mail.source == "rewards@example.com"
    assert mail.template == channels.stack.resolver.ref("SuccessfulRedemptionEmailTemplate")
    assert mail.subject == "You paid 20.00 USD at ELECTRONICS STORE  PARIS FR with Notify Points"
    for text in (mail.html, mail.text):
        assert "2,000 Notify Points" in text  # $20 at $0.01
        assert "3,000 Notify Points" in text  # the balance left
        assert "ELECTRONICS STORE  PARIS FR" in text
        assert "ending 5100" in text
        assert CARD not in text
        assert result["id"] in text


def test_insufficient_balance_email_shows_points_needed_and_balance(channels):
    result = channels.authorize(ERIN, "80.00", "EXTLOW0001")
    assert result["responseReasonId"] == "72"
    channels.notify(channels.new_outbox_records())
    [mail] = captured_emails()
    assert mail.template == channels.stack.resolver.ref("InsufficientBalanceEmailTemplate")
    assert mail.subject == "Not enough Notify Points for your purchase at ELECTRONICS STORE  PARIS FR"
    assert "8,000 Notify Points" in mail.html and "5,000 Notify Points" in mail.html
    assert "80.00 USD" in mail.text


def test_below_program_threshold_email_names_the_program_minimum(channels):
    result = channels.authorize(ERIN, "3.00", "EXTMIN0001")
    assert result["responseReasonId"] == "70"
    channels.notify(channels.new_outbox_records())
    [mail] = captured_emails()
    assert mail.template == channels.stack.resolver.ref("BelowProgramThresholdEmailTemplate")
    assert "5.00 USD" in mail.html and "3.00 USD" in mail.html


def test_sms_goes_to_the_cardholder_number_with_the_same_content_rules(channels):
    channels.authorize(ERIN, "20.00", "EXTSMS0001")
    channels.notify(channels.new_outbox_records())
    [(number, text)] = captured_sms()
    assert number == "+15555550123"
    assert "2,000 Notify Points" in text and "20.00 USD" in text and "ending 5100" in text
    assert CARD not in text and len(text) <= 160


# -- the SNS event -------------------------------------------------------------------------------
def test_every_outcome_is_published_as_a_versioned_event_with_filterable_attributes(channels):
    channels.authorize(FRED, "20.00", "EXTEVT0001")
    channels.notify(channels.new_outbox_records())
    [message] = sns_backends["123456789012"]["us-east-1"].topics[channels.topic_arn].sent_notifications
    event = json.loads(message[1])
    assert event["schemaVersion"] == 1
    assert event["eventType"] == "pwr.authorization.processed"
    assert event["programId"] == PROGRAM and event["clientId"] == CLIENT
    assert event["data"]["responseReasonId"] == "60" and event["data"]["accountId"] == FRED
    attributes = message[3]
    assert attributes["eventType"]["Value"] == "pwr.authorization.processed"
    assert attributes["programId"]["Value"] == PROGRAM
    assert attributes["clientId"]["Value"] == CLIENT


# -- switches ------------------------------------------------------------------------------------
def test_program_switch_off_sends_no_email_and_no_sms_but_still_the_event(channels):
    channels.load(emails="{successfulRedemption: false}")
    channels.authorize(ERIN, "20.00", "EXTOFF0001")
    assert channels.notify(channels.new_outbox_records()) == {"batchItemFailures": []}
    assert captured_emails() == [] and captured_sms() == []
    assert len(channels.events()) == 1


def test_cardholder_switch_off_sends_no_email_even_with_an_address(channels):
    channels.authorize(FRED, "20.00", "EXTOFF0002")
    channels.notify(channels.new_outbox_records())
    assert captured_emails() == []
    assert len(channels.events()) == 1


def test_eligible_but_pwr_off_outcomes_email_nobody(channels):
    assert channels.authorize(GINA, "80.00", "EXTPOFF001")["responseReasonId"] == "59"
    assert channels.authorize(GINA, "3.00", "EXTPOFF002")["responseReasonId"] == "70"  # below minimum, PWR off
    assert channels.notify(channels.new_outbox_records()) == {"batchItemFailures": []}
    assert captured_emails() == []
    assert len(channels.events()) == 2


# -- committed state only ------------------------------------------------------------------------
def test_rolled_back_transaction_writes_no_event_and_notifies_nobody(channels):
    first = channels.authorize(ERIN, "20.00", "EXTDUP0001")
    replay = channels.authorize(ERIN, "20.00", "EXTDUP0001")  # its transaction is cancelled by the unique key
    assert replay == first
    records = channels.new_outbox_records()
    assert len(records) == 1
    channels.notify(records)
    assert len(captured_emails()) == 1 and len(channels.events()) == 1


def test_processor_dying_after_its_commit_still_notifies_exactly_once(channels, monkeypatch):
    from tests.support import handler_module

    message = {
        "origin": "CLIENT",
        "clientId": CLIENT,
        "externalId": "EXTCRASH01",
        "authorization": purchase(ERIN, "20.00"),
    }
    event = sqs_event([json.dumps(message)], queue_arn="arn:aws:sqs:us-east-1:123456789012:q")
    event["Records"][0].update(messageId="m-crash", receiptHandle="h-crash")
    processor = handler_module("AuthProcessorFunction")

    def crash(*_: object) -> None:
        raise RuntimeError("function died after the commit")

    monkeypatch.setattr(processor, "record_outcome", crash)
    assert invoke("AuthProcessorFunction", event)["batchItemFailures"] == [{"itemIdentifier": "m-crash"}]
    records = channels.new_outbox_records()
    assert len(records) == 1  # committed before the function died
    monkeypatch.undo()
    assert invoke("AuthProcessorFunction", event)["batchItemFailures"] == []  # the redelivery replays
    assert channels.new_outbox_records() == []  # and commits nothing new

    assert channels.notify(records) == {"batchItemFailures": []}
    assert len(captured_emails()) == 1
    assert len(channels.events()) == 1
    assert len(channels.webhook_messages()) == 1


def test_redelivered_stream_record_sends_one_email_one_event_one_webhook(channels):
    channels.authorize(ERIN, "20.00", "EXTTWICE01")
    records = channels.new_outbox_records()
    assert channels.notify(records) == {"batchItemFailures": []}
    assert channels.notify(records) == {"batchItemFailures": []}
    assert len(captured_emails()) == 1
    assert len(captured_sms()) == 1
    assert len(channels.events()) == 1
    [delivery] = channels.webhook_messages()
    queued = json.loads(delivery["Body"])
    assert queued["clientId"] == CLIENT and queued["url"] == "http://127.0.0.1:9/auth-notifications"
    posted = json.loads(queued["body"])
    assert posted["programId"] == PROGRAM and posted["authRewardsServiceType"] == "PWR"
    assert posted["responseReasonId"] == "60" and posted["responseReasonDesc"] == "Redeemed"
    assert posted["pointsRedeemed"] == "2000" and posted["de006CardholderBillingAmount"] == "20.00"
    assert CARD not in queued["body"]


def test_a_failing_channel_is_retried_alone(channels, monkeypatch):
    from rewards.notifications.adapters import EmailSender

    channels.authorize(ERIN, "20.00", "EXTPART001")
    records = channels.new_outbox_records()
    real_send = EmailSender.send

    def ses_down(*_: object, **__: object) -> str:
        raise ConnectionError("SES unavailable")

    monkeypatch.setattr(EmailSender, "send", ses_down)
    result = channels.notify(records)
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [records[0]["dynamodb"]["SequenceNumber"]]
    assert captured_emails() == [] and len(channels.events()) == 1 and len(captured_sms()) == 1

    monkeypatch.setattr(EmailSender, "send", real_send)
    assert channels.notify(records) == {"batchItemFailures": []}
    assert len(captured_emails()) == 1
    assert len(channels.events()) == 1 and len(captured_sms()) == 1  # not sent again


def test_a_stream_record_of_a_write_that_never_committed_notifies_nobody(channels):
    from tools.local.streams import stream_event

    result = channels.authorize(ERIN, "20.00", "EXTPHANTOM1")
    [record] = channels.new_outbox_records()
    image = record["dynamodb"]["NewImage"]
    channels.stack.client("dynamodb").delete_item(
        TableName=channels.stack.ledger_table, Key={"pk": image["pk"], "sk": image["sk"]}
    )  # a stream record of an item that is not in the table (an emulator's replay)
    phantom = {**from_item(image), "eventId": "never-committed"}
    assert result["responseReasonId"] == "60"
    assert channels.notify(stream_event([phantom])["Records"]) == {"batchItemFailures": []}
    assert captured_emails() == [] and channels.events() == [] and channels.webhook_messages() == []
