"""Event schema v1: what the SNS topic carries, built from one outbox item of the ledger table."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Literal[1] = 1
PWR_AUTHORIZATION_PROCESSED = "pwr.authorization.processed"
DR_REDEMPTION_CREATED = "dr.redemption.created"
DR_REDEMPTION_CREDITED = "dr.redemption.credited"
OUTBOX_PREFIX = "EVENT#"


class NotificationEvent(BaseModel):
    """A committed outcome. ``data`` is the outcome's own payload (see docs/notifications.md)."""

    model_config = ConfigDict(frozen=True)

    schemaVersion: Literal[1] = SCHEMA_VERSION
    eventId: str = Field(min_length=1)
    eventType: str = Field(min_length=1)
    occurredAt: str
    programId: str
    clientId: str | None = None
    data: dict[str, Any]

    @classmethod
    def from_outbox_item(cls, item: dict[str, Any]) -> NotificationEvent:
        """An ``EVENT#{id}`` item (as a stream NewImage or a GetItem, deserialized)."""
        payload = item.get("payload") or "{}"
        data = json.loads(payload) if isinstance(payload, str) else dict(payload)
        return cls(
            eventId=str(item["eventId"]),
            eventType=str(item["eventType"]),
            occurredAt=str(data.get("occurredAt") or item.get("createdAt", "")),
            programId=str(item["programId"]),
            clientId=item.get("clientId"),
            data=data,
        )

    def message(self) -> str:
        """The JSON the topic publishes (stable key order, no card numbers: the outbox holds none)."""
        return self.model_dump_json()

    def attributes(self) -> dict[str, str]:
        """SNS message attributes subscribers can filter on (absent values are left out)."""
        values = {
            "eventType": self.eventType,
            "programId": self.programId,
            "clientId": self.clientId,
            "schemaVersion": str(self.schemaVersion),
        }
        return {name: value for name, value in values.items() if value}


def is_outbox_key(pk: object) -> bool:
    return isinstance(pk, str) and pk.startswith(OUTBOX_PREFIX)
