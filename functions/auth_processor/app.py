"""SQS consumer: processes queued authorizations in batches with partial-failure reporting.

A malformed or unprocessable record fails alone and returns to the queue; after the queue's
maxReceiveCount it moves to the dead-letter queue. A redelivered record replays its first result.
"""

from __future__ import annotations

from typing import Any

from rewards import runtime, snapstart
from rewards.models.messages import QueuedAuthorization
from rewards.observability import logger, metrics
from rewards.partial_batch import PartialBatchResponse, Record, process_partial, sqs_message_id
from rewards.services.batch import AuthorizationBatch
from rewards.services.metrics import record_outcome
from rewards.settings import CardholderSettings, settings

SETTINGS = CardholderSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.authorization_service)  # SnapStart: built before the snapshot


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> PartialBatchResponse:
    settings(SETTINGS)
    records = event.get("Records", [])
    batch = AuthorizationBatch.prefetch(runtime.authorization_service(), records)

    def record_handler(record: Record) -> None:
        processed = batch.process(QueuedAuthorization.model_validate_json(record["body"]))
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

    return process_partial(records, record_handler, sqs_message_id)
