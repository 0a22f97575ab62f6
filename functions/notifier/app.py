"""Ledger-table stream consumer: every committed outbox item becomes the SNS event,
the cardholder's email/SMS and the Auth Notifier deliveries it owes, each sent once.

The event source mapping passes only INSERTs of items with an ``eventType`` (FilterCriteria);
anything else that reaches this handler is skipped. A record that could not send everything fails alone
(partial batch response) and is retried; what it already sent is not sent again.
"""

from __future__ import annotations

from typing import Any

from rewards import runtime, snapstart
from rewards.adapters.dynamo import from_item
from rewards.observability import logger, metrics
from rewards.partial_batch import (
    PartialBatchResponse,
    Record,
    inserted_image,
    process_partial,
    stream_sequence_number,
)
from rewards.settings import NotifierSettings, settings

SETTINGS = NotifierSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.notifier)  # SnapStart: built before the snapshot


def record_handler(record: Record) -> None:
    image = inserted_image(record)
    if image is None:
        return
    found = runtime.ledger().committed_event(from_item(image))
    if found is None:
        return
    event, source = found
    try:
        sent = runtime.notifier().notify(event, source)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        logger.warning(
            "event not notified; the record will be retried", extra={"event_id": event.eventId, "reason": reason}
        )
        raise
    logger.info("event notified", extra={"event_id": event.eventId, "event_type": event.eventType, "sent": sent})
    if sent:
        metrics.add_metric(name="NotificationsSent", unit="Count", value=len(sent))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> PartialBatchResponse:
    settings(SETTINGS)
    return process_partial(event.get("Records", []), record_handler, stream_sequence_number)
