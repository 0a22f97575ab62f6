"""Ledger-table stream consumer: each committed outcome that owes cash (a redeemed authorization, a
CASHBACK redemption) becomes its rebate instructions, each recorded once (docs/settlement.md).

The event source mapping passes only INSERTs of outbox items of those two event types; a record
that could not be recorded fails alone and is retried, then goes to the dead-letter queue.
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
from rewards.settings import RebateSettings, settings

SETTINGS = RebateSettings  # this function's environment (template.yaml)

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    if record.event_name is not DynamoDBRecordEventName.INSERT or stream is None:
        return
    found = runtime.ledger().committed_event(stream.new_image)
    if found is None:
        return
    event, _ = found
    recorded = runtime.rebate_service().record(event)
    if recorded:
        logger.info(
            "rebates recorded",
            extra={"event_id": event.eventId, "references": [r.reference for r in recorded]},
        )
        metrics.add_metric(name="RebatesRecorded", unit="Count", value=len(recorded))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    settings(SETTINGS)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
