"""Composition root of the notifier and the webhook sender (environment set by template.yaml)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from rewards import runtime
from rewards.adapters.dynamo import Table
from rewards.notifications.adapters import (
    ClientDirectory,
    DeliveryQueue,
    EmailSender,
    EventTopic,
    HttpPoster,
    MarkerStore,
    SecretStore,
    SmsSender,
    Visibility,
)
from rewards.notifications.routing import CommunicationKind
from rewards.notifications.service import Notifier, WebhookSender
from rewards.settings import settings

# A send's own timeouts (connect 2 s, read 5 s, bounded retries) end well inside the lease.
MARKER_LEASE_SECONDS = 60


def required(name: str, value: str | None) -> str:
    if not value:
        raise RuntimeError(f"{name} is not set for this function")
    return value


def email_templates() -> dict[str, str]:
    return {
        CommunicationKind.SUCCESSFUL_REDEMPTION.value: required(
            "EMAIL_TEMPLATE_SUCCESSFUL_REDEMPTION", os.environ.get("EMAIL_TEMPLATE_SUCCESSFUL_REDEMPTION")
        ),
        CommunicationKind.INSUFFICIENT_BALANCE.value: required(
            "EMAIL_TEMPLATE_INSUFFICIENT_BALANCE", os.environ.get("EMAIL_TEMPLATE_INSUFFICIENT_BALANCE")
        ),
        CommunicationKind.BELOW_PROGRAM_THRESHOLD.value: required(
            "EMAIL_TEMPLATE_BELOW_PROGRAM_THRESHOLD", os.environ.get("EMAIL_TEMPLATE_BELOW_PROGRAM_THRESHOLD")
        ),
    }


def client(service: str) -> Any:
    return runtime.aws_client(service)


@cache
def _marker_store() -> MarkerStore:
    table = required("NOTIFICATIONS_TABLE_NAME", os.environ.get("NOTIFICATIONS_TABLE_NAME"))
    return MarkerStore(Table(client("dynamodb"), table), MARKER_LEASE_SECONDS)


@cache
def _notifier() -> Notifier:
    return Notifier(
        markers=_marker_store(),
        ledger=runtime.ledger(),
        config=runtime.config_store(),
        directory=ClientDirectory(Table(client("dynamodb"), settings().config_table)),
        topic=EventTopic(client("sns"), required("EVENTS_TOPIC_ARN", os.environ.get("EVENTS_TOPIC_ARN"))),
        email=EmailSender(
            client("ses"),
            required("NOTIFICATION_SENDER_ADDRESS", os.environ.get("NOTIFICATION_SENDER_ADDRESS")),
            email_templates(),
        ),
        sms=SmsSender(client("sns")),
        webhooks=DeliveryQueue(client("sqs"), required("WEBHOOK_QUEUE_URL", os.environ.get("WEBHOOK_QUEUE_URL"))),
    )


@cache
def _webhook_sender() -> WebhookSender:
    timeout = int(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "3"))  # whole seconds
    return WebhookSender(_marker_store(), SecretStore(client("ssm")), HttpPoster(timeout))


@cache
def _visibility() -> Visibility:
    return Visibility(client("sqs"))


_BUILDERS = (_marker_store, _notifier, _webhook_sender, _visibility)
_built_for: list[object] = []


def _current() -> None:
    """Rebuild after ``rewards.runtime.reset()`` (a new settings object): same clients, same stack."""
    now = settings()
    if not _built_for or _built_for[0] is not now:
        for builder in _BUILDERS:
            builder.cache_clear()
        _built_for[:] = [now]


def notifier() -> Notifier:
    _current()
    return _notifier()


def webhook_sender() -> WebhookSender:
    _current()
    return _webhook_sender()


def visibility() -> Visibility:
    _current()
    return _visibility()


def retry_base_seconds() -> int:
    return int(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
