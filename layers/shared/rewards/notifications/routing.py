"""Who is told what about one event (pure): the topic always; the cardholder by email and SMS for
three PWR outcomes, and by email for a rejected rebate, when the program and the cardholder allow
it; the client's Auth Notifier."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rewards.domain import CardholderPreferences, ClientRole
from rewards.events import AuthorizationProcessed, CommittedEvent, RebateRejected
from rewards.models.config import Client, Program
from rewards.rules.reasons import Detail, ReasonCode


class CommunicationKind(StrEnum):
    """The cardholder communications, named after the program switch (``Program.emails``): the
    seed's three, and the rejected rebate (docs/settlement.md)."""

    SUCCESSFUL_REDEMPTION = "successfulRedemption"
    INSUFFICIENT_BALANCE = "insufficientBalance"
    BELOW_PROGRAM_THRESHOLD = "belowProgramThreshold"
    REBATE_REJECTED = "rebateRejected"


SMS_KINDS = frozenset(
    {
        CommunicationKind.SUCCESSFUL_REDEMPTION,
        CommunicationKind.INSUFFICIENT_BALANCE,
        CommunicationKind.BELOW_PROGRAM_THRESHOLD,
    }
)  # a rejected rebate is told by email only: its reason and amounts do not fit a text


class Channel(StrEnum):
    EVENT = "event"  # the SNS topic
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"  # enqueue an Auth Notifier delivery


@dataclass(frozen=True)
class Delivery:
    channel: Channel
    kind: CommunicationKind | None = None
    client: Client | None = None

    @property
    def marker(self) -> str:
        """The dedupe key of this delivery within its event."""
        if self.client is not None:
            return f"{self.channel.value}#{self.client.clientId}"
        return self.channel.value


def communication_kind(event: CommittedEvent) -> CommunicationKind | None:
    """Redeemed → success; with PWR on: too few points → insufficient, under the program minimum →
    below; a rebate the issuer refused → rejected."""
    if isinstance(event, RebateRejected):
        return CommunicationKind.REBATE_REJECTED
    if not isinstance(event, AuthorizationProcessed):
        return None
    data = event.data
    if data.responseReasonId == ReasonCode.REDEEMED.value:
        return CommunicationKind.SUCCESSFUL_REDEMPTION
    if not data.pwrOn:
        return None
    if data.responseReasonId == ReasonCode.INSUFFICIENT_POINTS.value:
        return CommunicationKind.INSUFFICIENT_BALANCE
    if data.detail == Detail.BELOW_PROGRAM_MINIMUM.value:
        return CommunicationKind.BELOW_PROGRAM_THRESHOLD
    return None


def cardholder_deliveries(
    kind: CommunicationKind | None, program: Program | None, preferences: CardholderPreferences | None
) -> list[Delivery]:
    """The program switch of this kind governs both channels; each channel needs the cardholder's
    switch and an address."""
    if kind is None or program is None or preferences is None:
        return []
    if not getattr(program.emails, kind.value):
        return []
    found = []
    if preferences.receiveEmailSw and preferences.emailAddress:
        found.append(Delivery(Channel.EMAIL, kind))
    if kind in SMS_KINDS and preferences.receiveSMSSw and preferences.smsNumber:
        found.append(Delivery(Channel.SMS, kind))
    return found


def webhook_clients(event: CommittedEvent, clients: Iterable[Client]) -> list[Client]:
    """The client that sent the authorization; for a network copy, every issuer of the program.
    Only active clients mapped to the program with an enabled webhook."""
    if not isinstance(event, AuthorizationProcessed):
        return []
    chosen = []
    for client in clients:
        if not (client.active and client.webhook and client.webhook.enabled):
            continue
        if event.programId not in client.programIds:
            continue
        if event.clientId is not None:
            if client.clientId == event.clientId:
                chosen.append(client)
        elif client.role is ClientRole.ISSUER:
            chosen.append(client)
    return sorted(chosen, key=lambda c: c.clientId)


def plan(
    event: CommittedEvent,
    program: Program | None,
    preferences: CardholderPreferences | None,
    clients: Iterable[Client],
) -> list[Delivery]:
    return [
        Delivery(Channel.EVENT),
        *cardholder_deliveries(communication_kind(event), program, preferences),
        *(Delivery(Channel.WEBHOOK, client=client) for client in webhook_clients(event, clients)),
    ]
