"""SQS consumer: processes queued authorizations in batches with partial-failure reporting.

A malformed or unprocessable record fails alone and returns to the queue; after the queue's
maxReceiveCount it moves to the dead-letter queue. A redelivered record replays its first result.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from rewards import runtime
from rewards.models.messages import QueuedAuthorization
from rewards.observability import logger, metrics, tracer
from rewards.services.batch import AuthorizationBatch
from rewards.services.metrics import record_outcome
from rewards.settings import CardholderSettings, settings

SETTINGS = CardholderSettings  # this function's environment (template.yaml)


class QueuedAuthorizationRecord(SqsRecordModel):
    body: Json[QueuedAuthorization]  # type: ignore[assignment]


# logger: every failed record (malformed body or processing error) is logged with its reason.
processor = BatchProcessor(
    event_type=EventType.SQS,
    model=QueuedAuthorizationRecord,
    raise_on_entire_batch_failure=False,
    logger=logger,  # type: ignore[arg-type]  # Powertools' Logger offers the logging.Logger methods used
)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    settings(SETTINGS)
    batch = AuthorizationBatch.prefetch(runtime.authorization_service(), event.get("Records", []))

    def record_handler(record: QueuedAuthorizationRecord) -> None:
        processed = batch.process(record.body)
        logger.info(
            "authorization processed",
            extra={
                "authorization_id": processed.authorization.id,
                "reason": processed.authorization.responseReasonId,
                "replayed": processed.replayed,
            },
        )
        if not processed.replayed:
            record_outcome(metrics, processed.authorization)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
