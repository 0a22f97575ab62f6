"""Auth Notifier deliveries (pure): the queued message, the JSON body, the retry back-off."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field

from rewards.events import AuthorizationProcessed
from rewards.models.config import Client
from rewards.models.pwr import Authorization

RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 900


class WebhookDelivery(BaseModel):
    """One POST owed to one client; ``body`` is fixed when queued so every attempt signs the same bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    deliveryId: str = Field(min_length=1)
    eventId: str = Field(min_length=1)
    eventType: str
    clientId: str = Field(min_length=1)
    url: str = Field(min_length=1)
    secretParameterName: str = Field(min_length=1)
    body: str


def webhook_body(event: AuthorizationProcessed, record: Authorization) -> str:
    """The ``Authorization`` fields plus programId, authRewardsServiceType, responseReasonId/Desc."""
    fields = json.loads(record.model_dump_json(exclude_none=True))
    fields.update(
        programId=event.programId,
        authRewardsServiceType=event.data.authRewardsServiceType,
        responseReasonId=record.responseReasonId,
        responseReasonDesc=record.responseReasonDesc,
    )
    return json.dumps(fields, separators=(",", ":"), sort_keys=True)


def delivery_for(event: AuthorizationProcessed, client: Client, body: str) -> WebhookDelivery:
    if client.webhook is None:
        raise ValueError(f"client {client.clientId} has no webhook")
    return WebhookDelivery(
        deliveryId=f"{event.eventId}:{client.clientId}",
        eventId=event.eventId,
        eventType=event.eventType,
        clientId=client.clientId,
        url=client.webhook.url,
        secretParameterName=client.webhook.secretParameterName,
        body=body,
    )


def retry_delay(attempt: int, base: int = RETRY_BASE_SECONDS, cap: int = RETRY_CAP_SECONDS) -> int:
    """Seconds before attempt ``attempt + 1``: base, 2 x base, 4 x base ... capped."""
    return int(min(cap, base * 2 ** max(0, attempt - 1)))
