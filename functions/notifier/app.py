"""Ledger-table stream consumer: every committed outbox item becomes the SNS event,
the cardholder's email/SMS and the Auth Notifier deliveries it owes, each sent once.

The event source mapping passes only INSERTs of items with an ``eventType`` (FilterCriteria);
anything else that reaches this handler is skipped. A record that could not send everything fails alone
(partial batch response) and is retried; what it already sent is not sent again.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from rewards import runtime
from rewards.observability import logger, metrics, tracer
from rewards.settings import NotifierSettings, settings

SETTINGS = NotifierSettings  # this function's environment (template.yaml)

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    if record.event_name is not DynamoDBRecordEventName.INSERT or stream is None:
        return
    found = runtime.ledger().committed_event(stream.new_image)
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
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    settings(SETTINGS)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
