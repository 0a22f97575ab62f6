"""Auth Notifier delivery: POSTs each queued processing result to the client's URL, signed.

A failed or timed-out POST delays the message by an exponential back-off (its visibility timeout)
and reports it as a batch item failure; after the queue's maxReceiveCount it is dead-lettered.
Authorization processing never waits for this: the notifier only queued the delivery.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from rewards import runtime
from rewards.notifications.service import WebhookFailed
from rewards.notifications.webhooks import WebhookDelivery, retry_delay
from rewards.observability import logger, metrics, tracer
from rewards.settings import WebhookSenderSettings, settings

SETTINGS = WebhookSenderSettings  # this function's environment (template.yaml)

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    delivery = WebhookDelivery.model_validate_json(record.body)
    attempt = int(record.attributes.approximate_receive_count or "1")
    try:
        delivered = runtime.webhook_sender().deliver(delivery)
    except WebhookFailed as failure:
        delay = retry_delay(attempt, base=runtime.retry_base_seconds())
        logger.warning(
            "webhook delivery failed",
            extra={"delivery_id": delivery.deliveryId, "attempt": attempt, "retry_in": delay, "reason": failure.reason},
        )
        metrics.add_metric(name="WebhookDeliveryFailed", unit="Count", value=1)
        try:
            runtime.visibility().delay(record.event_source_arn, record.receipt_handle, delay)
        except Exception:  # the message still fails; the queue's own visibility timeout delays it
            logger.warning("back-off not set", extra={"delivery_id": delivery.deliveryId}, exc_info=True)
        raise
    logger.info(
        "webhook delivered" if delivered else "webhook already delivered",
        extra={"delivery_id": delivery.deliveryId, "attempt": attempt},
    )
    if delivered:
        metrics.add_metric(name="WebhookDelivered", unit="Count", value=1)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    settings(SETTINGS)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
