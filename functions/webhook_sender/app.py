"""Auth Notifier delivery: POSTs each queued processing result to the client's URL, signed.

A failed or timed-out POST delays the message by an exponential back-off (its visibility timeout)
and reports it as a batch item failure; after the queue's maxReceiveCount it is dead-lettered.
Authorization processing never waits for this: the notifier only queued the delivery.
"""

from __future__ import annotations

from typing import Any

from rewards import runtime, snapstart
from rewards.notifications.service import WebhookFailed
from rewards.notifications.webhooks import WebhookDelivery, retry_delay
from rewards.observability import logger, metrics
from rewards.partial_batch import PartialBatchResponse, Record, process_partial, sqs_message_id
from rewards.settings import WebhookSenderSettings, settings

SETTINGS = WebhookSenderSettings  # this function's environment (template.yaml)
snapstart.register(prime=runtime.webhook_sender)  # SnapStart: built before the snapshot


def record_handler(record: Record) -> None:
    delivery = WebhookDelivery.model_validate_json(record["body"])
    attempt = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or "1")
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
            runtime.visibility().delay(record["eventSourceARN"], record["receiptHandle"], delay)
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
def lambda_handler(event: dict[str, Any], context: Any) -> PartialBatchResponse:
    settings(SETTINGS)
    return process_partial(event.get("Records", []), record_handler, sqs_message_id)
