"""AWS and HTTP for notifications: dedupe markers (DynamoDB), the event topic and SMS (SNS),
templated email (SES v1), the webhook queue (SQS), client settings, secrets and the HTTP POST."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from rewards.adapters.dynamo import Table, TransactionRefused, key, to_attr
from rewards.events import CommittedEvent
from rewards.models.config import Client
from rewards.notifications.webhooks import WebhookDelivery

MARKER_RETENTION_SECONDS = 30 * 24 * 3600  # longer than any redelivery: stream 24 h, webhook DLQ 14 days
CLIENTS_CACHE_SECONDS = 60


class Claim(StrEnum):
    GRANTED = "GRANTED"  # send now, then mark_sent (or release on failure)
    ALREADY_SENT = "ALREADY_SENT"  # a previous delivery of this record sent it: nothing to do
    IN_FLIGHT = "IN_FLIGHT"  # another attempt holds a live lease: retry the record later


class MarkerStore:
    """One item per (event, channel): SENDING with a lease before the send, SENT after it.

    A crash between the send and ``mark_sent`` leaves a SENDING marker whose lease expires, so the
    next delivery of the record sends again (at least once); a SENT marker makes redeliveries no-ops.
    A claim names its ``owner`` (this container): a container works on one record at a time, so a
    SENDING marker it owns is an orphan of its own earlier attempt (a lost response, a failed
    release) and it may claim it again at once instead of waiting for the lease.
    """

    def __init__(self, table: Table, lease_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.lease = lease_seconds
        self.clock = clock
        self.owner = uuid.uuid4().hex

    def claim(self, event_id: str, marker: str) -> Claim:
        now = int(self.clock())
        try:
            self.table.put(
                {
                    "pk": f"EVENT#{event_id}",
                    "sk": marker,
                    "status": "SENDING",
                    "leaseUntil": now + self.lease,
                    "owner": self.owner,
                    "expiresAt": now + MARKER_RETENTION_SECONDS,
                },
                condition="attribute_not_exists(pk) OR (#status = :sending AND (leaseUntil < :now OR #owner = :me))",
                ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
                ExpressionAttributeValues={
                    ":sending": to_attr("SENDING"),
                    ":now": to_attr(now),
                    ":me": to_attr(self.owner),
                },
            )
        except TransactionRefused:
            current = self.table.get(f"EVENT#{event_id}", marker)
            if current is not None and current.get("status") == "SENT":
                return Claim.ALREADY_SENT
            return Claim.IN_FLIGHT
        return Claim.GRANTED

    def mark_sent(self, event_id: str, marker: str, reference: str | None = None) -> None:
        values = {":sent": to_attr("SENT"), ":at": to_attr(int(self.clock()))}
        expression = "SET #status = :sent, sentAt = :at REMOVE leaseUntil"
        if reference:
            values[":ref"] = to_attr(reference)
            expression = "SET #status = :sent, sentAt = :at, sentRef = :ref REMOVE leaseUntil"
        self.table.update(
            f"EVENT#{event_id}",
            marker,
            UpdateExpression=expression,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )

    def release(self, event_id: str, marker: str) -> None:
        """The send failed: let the next attempt claim it at once."""
        try:
            self.table.client.delete_item(
                TableName=self.table.name,
                Key=key(f"EVENT#{event_id}", marker),
                ConditionExpression="#status = :sending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":sending": to_attr("SENDING")},
            )
        except ClientError as error:  # already SENT by someone else: keep it
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def status(self, event_id: str, marker: str) -> str | None:
        item = self.table.get(f"EVENT#{event_id}", marker)
        return str(item["status"]) if item else None


class EventTopic:
    def __init__(self, sns: Any, topic_arn: str) -> None:
        self.sns = sns
        self.topic_arn = topic_arn

    def publish(self, event: CommittedEvent) -> str:
        response = self.sns.publish(
            TopicArn=self.topic_arn,
            Message=event.message(),
            MessageAttributes={
                name: {"DataType": "Number" if name == "schemaVersion" else "String", "StringValue": value}
                for name, value in event.attributes().items()
            },
        )
        return str(response["MessageId"])


class SmsSender:
    def __init__(self, sns: Any) -> None:
        self.sns = sns

    def send(self, phone_number: str, text: str) -> str:
        response = self.sns.publish(
            PhoneNumber=phone_number,
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
        return str(response["MessageId"])


class EmailSender:
    """SES v1 templated email (moto implements v1 templates; SESv2 templates it does not)."""

    def __init__(self, ses: Any, sender: str, templates: dict[str, str]) -> None:
        self.ses = ses
        self.sender = sender
        self.templates = templates

    def send(self, kind: str, to_address: str, data: dict[str, str]) -> str:
        template = self.templates.get(kind)
        if not template:
            raise RuntimeError(f"no email template configured for {kind}")
        response = self.ses.send_templated_email(
            Source=self.sender,
            Destination={"ToAddresses": [to_address]},
            Template=template,
            TemplateData=json.dumps(data),
        )
        return str(response["MessageId"])


class DeliveryQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self.sqs = sqs
        self.url = url

    def enqueue(self, delivery: WebhookDelivery) -> str:
        response = self.sqs.send_message(QueueUrl=self.url, MessageBody=delivery.model_dump_json())
        return str(response["MessageId"])


def queue_url_from_arn(arn: str) -> str:
    """arn:aws:sqs:{region}:{account}:{name} -> https://sqs.{region}.amazonaws.com/{account}/{name}"""
    _, _, _, region, account, name = arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


class Visibility:
    """Delays the next attempt of a failed SQS message (the back-off of the webhook queue)."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs

    def delay(self, queue_arn: str, receipt_handle: str, seconds: int) -> None:
        self.sqs.change_message_visibility(
            QueueUrl=queue_url_from_arn(queue_arn), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )


class ClientDirectory:
    """Client documents of the configuration table, cached: the Auth Notifier needs every client of a
    program for network copies, and the table holds a handful of clients."""

    def __init__(
        self, table: Table, ttl_seconds: int = CLIENTS_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self.table = table
        self.ttl = ttl_seconds
        self.clock = clock
        self._cached: tuple[float, list[Client]] | None = None

    def clients(self) -> list[Client]:
        if self._cached and self.clock() - self._cached[0] < self.ttl:
            return self._cached[1]
        items = self.table.scan(
            FilterExpression="begins_with(pk, :client)",
            ExpressionAttributeValues={":client": to_attr("CLIENT#")},
        )
        clients = [Client.model_validate_json(item["document"]) for item in items if "document" in item]
        self._cached = (self.clock(), clients)
        return clients


class SecretStore:
    """Webhook signing keys from SSM SecureStrings, cached for a few minutes."""

    def __init__(self, ssm: Any, ttl_seconds: int = 300, clock: Callable[[], float] = time.monotonic) -> None:
        self.ssm = ssm
        self.ttl = ttl_seconds
        self.clock = clock
        self._cache: dict[str, tuple[float, bytes]] = {}

    def get(self, name: str) -> bytes:
        cached = self._cache.get(name)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        value = self.ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        secret = str(value).encode()
        self._cache[name] = (self.clock(), secret)
        return secret


@dataclass(frozen=True)
class PostResult:
    status: int | None  # None: no HTTP answer (timeout, refused connection)
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class HttpPoster:
    def __init__(self, timeout_seconds: float) -> None:
        self.timeout = timeout_seconds

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        if not url.startswith(("https://", "http://")):  # the config model allows only these
            return PostResult(None, "unsupported url scheme")
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - scheme checked
                return PostResult(int(response.status))
        except urllib.error.HTTPError as error:
            return PostResult(int(error.code), f"HTTP {error.code}")
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            return PostResult(None, type(error).__name__)
