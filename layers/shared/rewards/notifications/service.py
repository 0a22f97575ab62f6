"""Use cases: notify one committed event on every channel it owes, once; deliver one webhook."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rewards.adapters.config_store import ConfigStore
from rewards.domain import CardholderPreferences
from rewards.events import AuthorizationProcessed, CommittedEvent, RebateRejected
from rewards.ledger import Ledger
from rewards.models.config import Program
from rewards.notifications.adapters import (
    Claim,
    ClientDirectory,
    DeliveryQueue,
    EmailSender,
    EventTopic,
    HttpPoster,
    MarkerStore,
    SecretStore,
    SmsSender,
)
from rewards.notifications.rendering import rebate_data, sms_text, template_data
from rewards.notifications.routing import Channel, CommunicationKind, Delivery, communication_kind, plan
from rewards.notifications.signing import (
    DELIVERY_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
)
from rewards.notifications.webhooks import WebhookDelivery, delivery_for, webhook_body
from rewards.observability import logger
from rewards.records import EventSource


class NotificationPending(Exception):
    """Some channel of the event was not sent: the stream record must be retried."""


class WebhookFailed(Exception):
    def __init__(self, delivery_id: str, reason: str) -> None:
        super().__init__(f"webhook delivery {delivery_id} failed: {reason}")
        self.reason = reason


@dataclass
class Notifier:
    markers: MarkerStore
    ledger: Ledger
    config: ConfigStore
    directory: ClientDirectory
    topic: EventTopic
    email: EmailSender
    sms: SmsSender
    webhooks: DeliveryQueue
    # (eventId, marker) -> reference of sends whose SENT mark failed: the retry records them, not resends
    unconfirmed: dict[tuple[str, str], str] = field(default_factory=dict)

    def notify(self, event: CommittedEvent, source: EventSource) -> list[str]:
        """Send what the event owes; returns the markers sent now (not those sent before).
        Every channel is tried; if any failed, raises so the record is retried for those alone."""
        if not self.ledger.still_committed(source):
            logger.warning("outbox item not found: not notified", extra={"event_id": event.eventId})
            return []
        program, preferences = self._cardholder_context(event)
        clients = self.directory.clients() if isinstance(event, AuthorizationProcessed) else []
        sent, pending = [], []
        for delivery in plan(event, program, preferences, clients):
            if confirm_earlier_send(self.markers, self.unconfirmed, event.eventId, delivery.marker):
                continue
            claim = self.markers.claim(event.eventId, delivery.marker)
            if claim is Claim.ALREADY_SENT:
                continue
            if claim is Claim.IN_FLIGHT:
                pending.append(delivery.marker)
                continue
            try:
                reference = self._send(event, delivery, program, preferences)
            except Exception:
                logger.exception("notification failed", extra={"event_id": event.eventId, "marker": delivery.marker})
                release_quietly(self.markers, event.eventId, delivery.marker)
                pending.append(delivery.marker)
                continue
            sent.append(delivery.marker)
            if not record_send(self.markers, self.unconfirmed, event.eventId, delivery.marker, reference):
                pending.append(delivery.marker)
        if pending:
            raise NotificationPending(f"event {event.eventId}: {', '.join(pending)} not sent yet")
        return sent

    def _cardholder_context(self, event: CommittedEvent) -> tuple[Program | None, CardholderPreferences | None]:
        """Program and preferences are read only for events that may reach the cardholder."""
        if not isinstance(event, AuthorizationProcessed | RebateRejected) or communication_kind(event) is None:
            return None, None
        program = self.config.program(event.programId)
        account = self.ledger.account(event.data.accountId)
        return program, account.preferences if account else None

    def _send(
        self,
        event: CommittedEvent,
        delivery: Delivery,
        program: Program | None,
        preferences: CardholderPreferences | None,
    ) -> str:
        if delivery.channel is Channel.EVENT:
            return self.topic.publish(event)
        if isinstance(event, RebateRejected):  # email only (routing.SMS_KINDS)
            assert program is not None and preferences is not None and preferences.emailAddress is not None
            return self.email.send(
                CommunicationKind.REBATE_REJECTED.value, preferences.emailAddress, rebate_data(event, program)
            )
        assert isinstance(event, AuthorizationProcessed)  # the other channels are PWR's only
        if delivery.channel is Channel.WEBHOOK:
            assert delivery.client is not None
            stored = self.ledger.authorization(event.data.authorizationId)
            if stored is None:
                raise LookupError(f"authorization {event.data.authorizationId} is not readable")
            body = webhook_body(event, stored.record())
            return self.webhooks.enqueue(delivery_for(event, delivery.client, body))
        assert delivery.kind is not None and program is not None and preferences is not None
        values = template_data(delivery.kind, event, program)
        if delivery.channel is Channel.EMAIL:
            assert preferences.emailAddress is not None
            return self.email.send(delivery.kind.value, preferences.emailAddress, values)
        assert preferences.smsNumber is not None
        return self.sms.send(preferences.smsNumber, sms_text(delivery.kind, values))


@dataclass
class WebhookSender:
    markers: MarkerStore
    secrets: SecretStore
    http: HttpPoster
    clock: Callable[[], float] = time.time
    unconfirmed: dict[tuple[str, str], str] = field(default_factory=dict)

    def deliver(self, delivery: WebhookDelivery) -> bool:
        """POST once, signed. True when delivered now, False when an earlier attempt already did."""
        marker = f"post#{delivery.clientId}"
        try:
            return self._deliver(delivery, marker)
        except WebhookFailed:
            raise
        except Exception as error:  # a marker or secret read failed: back off like a failed POST
            raise WebhookFailed(delivery.deliveryId, type(error).__name__) from error

    def _deliver(self, delivery: WebhookDelivery, marker: str) -> bool:
        if confirm_earlier_send(self.markers, self.unconfirmed, delivery.eventId, marker):
            return False
        claim = self.markers.claim(delivery.eventId, marker)
        if claim is Claim.ALREADY_SENT:
            return False
        if claim is Claim.IN_FLIGHT:
            raise WebhookFailed(delivery.deliveryId, "another attempt is in flight")
        try:
            body = delivery.body.encode()
            timestamp = str(int(self.clock()))
            secret = self.secrets.get(delivery.secretParameterName)
            result = self.http.post(
                delivery.url,
                body,
                {
                    "Content-Type": "application/json",
                    "User-Agent": "pay-with-rewards-auth-notifier/1",
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: signature(secret, timestamp, body),
                    DELIVERY_HEADER: delivery.deliveryId,
                    EVENT_TYPE_HEADER: delivery.eventType,
                },
            )
        except Exception:
            release_quietly(self.markers, delivery.eventId, marker)
            raise
        if not result.delivered:
            release_quietly(self.markers, delivery.eventId, marker)
            raise WebhookFailed(delivery.deliveryId, result.error or f"HTTP {result.status}")
        if not record_send(self.markers, self.unconfirmed, delivery.eventId, marker, str(result.status)):
            raise WebhookFailed(delivery.deliveryId, "delivered; its marker is not recorded yet")
        return True


def record_send(
    markers: MarkerStore, unconfirmed: dict[tuple[str, str], str], event_id: str, marker: str, reference: str
) -> bool:
    """Mark a done send SENT. If that fails, remember it (the container's retry records it instead
    of sending again) and return False so the record is retried."""
    try:
        markers.mark_sent(event_id, marker, reference)
    except Exception:
        logger.exception("sent, but the marker was not recorded", extra={"event_id": event_id, "marker": marker})
        unconfirmed[(event_id, marker)] = reference
        return False
    return True


def confirm_earlier_send(
    markers: MarkerStore, unconfirmed: dict[tuple[str, str], str], event_id: str, marker: str
) -> bool:
    """True when this container already sent it: records the SENT mark (raises if it fails again)."""
    reference = unconfirmed.get((event_id, marker))
    if reference is None:
        return False
    markers.mark_sent(event_id, marker, reference)
    del unconfirmed[(event_id, marker)]
    return True


def release_quietly(markers: MarkerStore, event_id: str, marker: str) -> None:
    """Best effort: a claim left behind is this container's own, which it may claim again at once."""
    try:
        markers.release(event_id, marker)
    except Exception:
        logger.warning("claim not released", extra={"event_id": event_id, "marker": marker}, exc_info=True)
